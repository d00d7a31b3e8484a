-- The demo source: a small shop with a few thousand rows and the types a migration must keep.
CREATE DATABASE IF NOT EXISTS shop;
USE shop;
CREATE TABLE IF NOT EXISTS customers (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(191) NOT NULL UNIQUE,
  name VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL,
  created_at DATETIME(6) NOT NULL,
  balance DECIMAL(12,2) NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id BIGINT UNSIGNED NOT NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  total DECIMAL(12,2) NOT NULL,
  note TEXT,
  placed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY (customer_id)
);
CREATE TABLE IF NOT EXISTS audit_log (
  at DATETIME NOT NULL,
  line VARCHAR(255) NOT NULL
);
INSERT INTO customers (email, name, created_at, balance)
  SELECT CONCAT('user', seq, '@example.com'), CONCAT('Customer ', seq, ' 🛒'),
         '2024-01-01 00:00:00' + INTERVAL seq MINUTE, seq % 1000
  FROM seq_1_to_2000;
INSERT INTO orders (customer_id, status, total, note)
  SELECT 1 + seq % 2000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled'), (seq % 500) + 0.99,
         IF(seq % 7 = 0, NULL, CONCAT('order ', seq))
  FROM seq_1_to_10000;
INSERT INTO audit_log SELECT NOW(), CONCAT('event ', seq) FROM seq_1_to_100;

-- The demo source: a small shop with a few thousand rows and the types a migration must keep.
-- Plain SQL that MySQL and MariaDB both run (numbers 1..10000 from a recursive CTE of 100 rows).
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
  FROM (WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 99)
        SELECT a.n * 100 + b.n + 1 AS seq FROM d a, d b) AS numbers WHERE seq <= 2000;
INSERT INTO orders (customer_id, status, total, note)
  SELECT 1 + seq % 2000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled'), (seq % 500) + 0.99,
         IF(seq % 7 = 0, NULL, CONCAT('order ', seq))
  FROM (WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 99)
        SELECT a.n * 100 + b.n + 1 AS seq FROM d a, d b) AS numbers;
INSERT INTO audit_log SELECT NOW(), CONCAT('event ', seq) FROM (WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 99)
        SELECT a.n * 100 + b.n + 1 AS seq FROM d a, d b) AS numbers WHERE seq <= 100;

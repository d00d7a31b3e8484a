#include "runner/precheck/instructions.h"

#include "runner/db/connection.h"

namespace tidemark::precheck {

std::string setVariableInstruction(api::SourceFlavor flavor, const std::string& variable, const std::string& value) {
    const std::string setting = variable + " = " + value;
    switch (flavor) {
        case api::SourceFlavor::AuroraMySQL:
            return "In the AWS console, open RDS > Parameter groups, edit the DB cluster parameter group of the Aurora "
                   "cluster, set " +
                setting + ", and reboot the writer instance.";
        case api::SourceFlavor::RDSMySQL:
            return "In the AWS console, open RDS > Parameter groups, edit the instance's custom parameter group, set " +
                setting + ", and reboot the instance if the parameter is static." +
                (variable.find("expire") != std::string::npos
                     ? " On RDS, binlog retention is set with CALL mysql.rds_set_configuration('binlog retention "
                       "hours', 168)."
                     : "");
        case api::SourceFlavor::AzureMySQL:
            return "In the Azure portal, open the MySQL flexible server > Server parameters, set " + setting +
                " and save (the portal says if a restart is needed).";
        case api::SourceFlavor::CloudSQLMySQL:
            return "In the Google Cloud console, open Cloud SQL > the instance > Edit > Flags, set " + setting +
                " and save (Cloud SQL restarts the instance if required).";
        case api::SourceFlavor::MySQL:
            // Every variable the precheck asks to change is dynamic on MySQL 8.0+, so SET PERSIST
            // needs no restart; the job's sessions are new ones and see the value.
            return "Run SET PERSIST " + setting +
                "; (MySQL 8.0 and later: takes effect for new sessions and survives a "
                "restart; on MySQL 5.7 add `" +
                setting +
                "` under [mysqld] in the server's option file and restart), "
                "then check with SHOW GLOBAL VARIABLES LIKE '" +
                variable + "'.";
        case api::SourceFlavor::MariaDB: break;
    }
    return "Add `" + setting +
        "` under [mysqld] in the server's option file (for example /etc/mysql/my.cnf), "
        "restart the server, and check with SHOW VARIABLES LIKE '" +
        variable + "'.";
}

std::string enableBinlogInstruction(api::SourceFlavor flavor) {
    switch (flavor) {
        case api::SourceFlavor::RDSMySQL:
        case api::SourceFlavor::AuroraMySQL:
            return "Enable automated backups (RDS) or set binlog_format in the cluster parameter group (Aurora); both "
                   "turn "
                   "on the binary log. Then reboot.";
        case api::SourceFlavor::MySQL:
            return "MySQL 8.0 and later write a binary log unless started with skip-log-bin or disable-log-bin (or "
                   "log_bin = OFF): remove that option from the server's options and restart. On MySQL 5.7 add "
                   "`log_bin = mysql-bin` and `server_id = N` under [mysqld] in the option file and restart.";
        default: return setVariableInstruction(flavor, "log_bin", "mysql-bin");
    }
}

std::string grantInstruction(api::SourceFlavor flavor, const std::string& user, const std::string& privileges,
                             const std::string& scope) {
    std::string grant = "GRANT " + privileges + " ON " + scope + " TO '" + user + "'@'%';";
    switch (flavor) {
        case api::SourceFlavor::AuroraMySQL:
        case api::SourceFlavor::RDSMySQL:
            return "Connect as the master user of the RDS/Aurora instance and run: " + grant;
        case api::SourceFlavor::AzureMySQL:
            return "Connect as the server admin of the Azure flexible server and run: " + grant;
        case api::SourceFlavor::CloudSQLMySQL:
            return "Connect as a Cloud SQL user with the cloudsqlsuperuser role (for example root) and run: " + grant;
        default: return "As an administrator, run: " + grant;
    }
}

std::string defaultRoleInstruction(bool mariadb, const std::string& user, const std::vector<std::string>& roles) {
    std::string list;
    for (const auto& r : roles) {
        if (mariadb && !list.empty()) break;  // MariaDB activates one role at login
        list += (list.empty() ? "" : ", ") + db::quoteIdent(r);
    }
    if (mariadb)
        return "Make the role active at login (MariaDB activates one): SET DEFAULT ROLE " + list + " FOR '" + user +
            "'@'%';";
    return "Make the role(s) active at login: SET DEFAULT ROLE " + list + " TO '" + user +
        "'@'%'; (or set activate_all_roles_on_login = ON).";
}

}  // namespace tidemark::precheck

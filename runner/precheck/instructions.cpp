#include "runner/precheck/instructions.h"

namespace tidemark::precheck {

std::string setVariableInstruction(api::SourceFlavor flavor, const std::string& variable, const std::string& value) {
    const std::string setting = variable + " = " + value;
    switch (flavor) {
        case api::SourceFlavor::AuroraMySQL:
            return "In the AWS console, open RDS > Parameter groups, edit the DB cluster parameter group of the Aurora "
                   "cluster, set " + setting + ", and reboot the writer instance.";
        case api::SourceFlavor::RDSMySQL:
            return "In the AWS console, open RDS > Parameter groups, edit the instance's custom parameter group, set " +
                   setting + ", and reboot the instance if the parameter is static." +
                   (variable.find("expire") != std::string::npos
                        ? " On RDS, binlog retention is set with CALL mysql.rds_set_configuration('binlog retention hours', 168)."
                        : "");
        case api::SourceFlavor::AzureMySQL:
            return "In the Azure portal, open the MySQL flexible server > Server parameters, set " + setting +
                   " and save (the portal says if a restart is needed).";
        case api::SourceFlavor::CloudSQLMySQL:
            return "In the Google Cloud console, open Cloud SQL > the instance > Edit > Flags, set " + setting +
                   " and save (Cloud SQL restarts the instance if required).";
        case api::SourceFlavor::MariaDB:
        case api::SourceFlavor::MySQL:
            break;
    }
    return "Add `" + setting + "` under [mysqld] in the server's option file (for example /etc/mysql/my.cnf), "
           "restart the server, and check with SHOW VARIABLES LIKE '" + variable + "'.";
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
        default:
            return "As an administrator, run: " + grant;
    }
}

}  // namespace tidemark::precheck

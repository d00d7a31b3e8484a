// How to change a source setting, in the words of each source flavor's console or config.
#pragma once

#include "api/migration_job.h"

#include <string>
#include <vector>

namespace tidemark::precheck {

// Instruction to set server variable `variable` to `value` on a source of `flavor`.
std::string setVariableInstruction(api::SourceFlavor flavor, const std::string& variable, const std::string& value);

// Instruction to turn the binary log on (log_bin is not dynamic on any flavor).
std::string enableBinlogInstruction(api::SourceFlavor flavor);

// Instruction to grant `privileges` (e.g. "REPLICATION SLAVE, REPLICATION CLIENT") on `scope`.
std::string grantInstruction(api::SourceFlavor flavor, const std::string& user, const std::string& privileges,
                             const std::string& scope);

// Instruction to make granted `roles` active when `user` logs in: SET DEFAULT ROLE in the
// server's own syntax (MySQL: TO, several roles, or activate_all_roles_on_login; MariaDB: FOR,
// one role).
std::string defaultRoleInstruction(bool mariadb, const std::string& user, const std::vector<std::string>& roles);

}  // namespace tidemark::precheck

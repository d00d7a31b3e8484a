// How to change a source setting, in the words of each source flavor's console or config.
#pragma once

#include "api/migration_job.h"

#include <string>

namespace tidemark::precheck {

// Instruction to set server variable `variable` to `value` on a source of `flavor`.
std::string setVariableInstruction(api::SourceFlavor flavor, const std::string& variable, const std::string& value);

// Instruction to grant `privileges` (e.g. "REPLICATION SLAVE, REPLICATION CLIENT") on `scope`.
std::string grantInstruction(api::SourceFlavor flavor, const std::string& user, const std::string& privileges,
                             const std::string& scope);

}  // namespace tidemark::precheck

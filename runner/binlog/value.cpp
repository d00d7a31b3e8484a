#include "runner/binlog/value.h"

namespace tidemark::binlog {

Value Value::toOwned() const {
    Value v = *this;
    if (!owned_ && !view_.empty()) v.setOwned(std::string(view_));
    return v;
}

const char* kindName(Value::Kind kind) {
    switch (kind) {
        case Value::Kind::Missing: return "Missing";
        case Value::Kind::Null: return "Null";
        case Value::Kind::Int: return "Int";
        case Value::Kind::UInt: return "UInt";
        case Value::Kind::Float: return "Float";
        case Value::Kind::Double: return "Double";
        case Value::Kind::Decimal: return "Decimal";
        case Value::Kind::Year: return "Year";
        case Value::Kind::Date: return "Date";
        case Value::Kind::Time: return "Time";
        case Value::Kind::DateTime: return "DateTime";
        case Value::Kind::Timestamp: return "Timestamp";
        case Value::Kind::String: return "String";
        case Value::Kind::Bytes: return "Bytes";
        case Value::Kind::Enum: return "Enum";
        case Value::Kind::Set: return "Set";
        case Value::Kind::Bit: return "Bit";
        case Value::Kind::Json: return "Json";
        case Value::Kind::JsonDiff: return "JsonDiff";
        case Value::Kind::Geometry: return "Geometry";
        case Value::Kind::Vector: return "Vector";
    }
    return "?";
}

}  // namespace tidemark::binlog

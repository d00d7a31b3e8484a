#pragma once
// List/watch query options and their URL encoding.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tidemark::kube {

// Selection shared by list and watch.
struct Selectors {
    std::string labelSelector;  // e.g. "app=tidemark,tier!=db" (see labelSelectorFromMap)
    std::string fieldSelector;  // e.g. "metadata.name=demo"
};

// "k1=v1,k2=v2" with keys in sorted order: the equality selector matching all given labels.
std::string labelSelectorFromMap(const std::map<std::string, std::string>& labels);

// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - _ . ~).
std::string urlEncode(const std::string& value);

// "?k1=v1&k2=v2" with keys and values encoded, empty values omitted; "" when nothing is left.
std::string buildQuery(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace tidemark::kube

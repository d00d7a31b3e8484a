// Checks rendered Kubernetes manifests (multi-document YAML on stdin) against the Kubernetes
// schemas, as an API server with field validation Strict (kubectl's default) would:
//   - every object's fields, types, enums, patterns and required fields: the JSON schemas of
//     kubernetes-models (built-in kinds, generated from the Kubernetes OpenAPI document) and
//     @kubernetes-models/prometheus-operator (ServiceMonitor, PodMonitor, PrometheusRule, from
//     the Prometheus operator's CRDs);
//   - no unknown field in built-in kinds: every key is walked against the field lists of
//     @kubernetes/client-node's models (also generated from the OpenAPI document), which the
//     JSON schemas above do not forbid.
// Custom resources get the first check only. A kind with no schema is an error, so a new
// template cannot slip by unchecked.
//
//   node validate_manifests.mjs TOOLS_DIR < rendered.yaml
// TOOLS_DIR holds node_modules from hack/chart-tools (hack/install-chart-tools.sh). Prints one
// line per problem ("Kind/name: path: problem") and exits 1 when there is any, else prints
// "N objects valid" and exits 0.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const tools = process.argv[2];
if (!tools) {
    console.error("usage: node validate_manifests.mjs TOOLS_DIR < manifests.yaml");
    process.exit(2);
}
const modules = path.join(tools, "node_modules");
const load = (p) => import(pathToFileURL(path.join(modules, p)).href);

const YAML = await load("yaml/dist/index.js");

// client-node's generated model classes, one file each (its index pulls in an HTTP client that
// needs a newer Node.js than the machines have). null for a type that is no model (string, ...).
const models = new Map();
async function model(type) {
    if (!models.has(type)) {
        const file = `@kubernetes/client-node/dist/gen/models/${type}.js`;
        models.set(type, /^[A-Za-z0-9]+$/.test(type) && existsSync(path.join(modules, file)) ? (await load(file))[type] : null);
    }
    return models.get(type);
}

// The kubernetes-models module of a kind, or null.
function modelFile(apiVersion, kind) {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const candidates =
        group === "monitoring.coreos.com"
            ? [`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}.js`]
            : [`kubernetes-models/${group ? group + "/" : ""}${version}/${kind}.js`];
    return candidates.find((c) => existsSync(path.join(modules, c))) ?? null;
}

// The client-node model type of a built-in kind: V1Deployment, V1ClusterRole, ...
function modelType(apiVersion, kind) {
    const version = apiVersion.split("/").pop();
    return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

// Walks `value` against the client-node type `type`, reporting keys the type does not have.
async function unknownFields(value, type, at, problems) {
    if (value === null || value === undefined) return;
    let m;
    if ((m = /^Array<(.+)>$/.exec(type))) {
        if (Array.isArray(value)) for (const [i, v] of value.entries()) await unknownFields(v, m[1], `${at}[${i}]`, problems);
        return;
    }
    if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
        if (typeof value === "object")
            for (const [k, v] of Object.entries(value)) await unknownFields(v, m[1], `${at}.${k}`, problems);
        return;
    }
    const cls = await model(type);
    if (!cls || typeof cls.getAttributeTypeMap !== "function") return;  // string, number, IntOrString, any, ...
    if (typeof value !== "object" || Array.isArray(value)) return;  // the JSON schema reports the type
    const fields = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
    for (const [k, v] of Object.entries(value)) {
        if (!fields.has(k)) problems.push(`${at ? at + "." : ""}${k}: unknown field (${type} has ${[...fields.keys()].join(", ")})`);
        else await unknownFields(v, fields.get(k), `${at ? at + "." : ""}${k}`, problems);
    }
}

const docs = YAML.parseAllDocuments(readFileSync(0, "utf8"));
const problems = [];
let checked = 0;
for (const doc of docs) {
    if (doc.errors.length) {
        problems.push(`YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
        continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const { apiVersion, kind } = obj;
    const id = `${kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
    if (!apiVersion || !kind) {
        problems.push(`${id}: no apiVersion or kind`);
        continue;
    }
    const file = modelFile(apiVersion, kind);
    if (!file) {
        problems.push(`${id}: no schema for ${apiVersion} ${kind}`);
        continue;
    }
    const mod = await load(file);
    try {
        new mod[kind](obj).validate();
    } catch (e) {
        problems.push(`${id}: ${e.message}`);
    }
    const type = modelType(apiVersion, kind);
    if (apiVersion.includes(".coreos.com")) {
        // A custom resource: its CRD's schema above is all there is.
    } else if (await model(type)) {
        const found = [];
        await unknownFields(obj, type, "", found);
        for (const f of found) problems.push(`${id}: ${f}`);
    } else {
        problems.push(`${id}: no field list for ${apiVersion} ${kind}`);
    }
    ++checked;
}
for (const p of problems) console.log(p);
if (problems.length) process.exit(1);
console.log(`${checked} objects valid`);

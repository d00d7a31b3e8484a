#include "kube/detail/http_transport.h"

#include <boost/asio/ssl.hpp>
#include <cpprest/http_client.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "kube/errors.h"

namespace tidemark::kube::detail {

namespace http = web::http;
namespace hc = web::http::client;

namespace {
constexpr auto kTokenRefresh = std::chrono::seconds(60);

std::string readToken(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TransportError("cannot read service account token file " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
        token.pop_back();
    }
    return token;
}
}  // namespace

struct HttpTransport::Impl {
    Config config;
    std::unique_ptr<hc::http_client> client;  // shared by ordinary requests (pooled connections)

    mutable std::mutex tokenMu;
    mutable std::string cachedToken;
    mutable std::chrono::steady_clock::time_point tokenReadAt;

    hc::http_client_config clientConfig(std::chrono::seconds timeout) const {
        hc::http_client_config c;
        c.set_timeout(timeout);
        c.set_validate_certificates(!config.insecureSkipTlsVerify);
        Config tls = config;
        c.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) {
            if (!tls.certificateAuthorityPem.empty()) {
                ctx.add_certificate_authority(boost::asio::buffer(tls.certificateAuthorityPem));
            }
            if (!tls.certificateAuthorityFile.empty()) ctx.load_verify_file(tls.certificateAuthorityFile);
            if (!tls.clientCertificatePem.empty()) {
                ctx.use_certificate_chain(boost::asio::buffer(tls.clientCertificatePem));
            } else if (!tls.clientCertificateFile.empty()) {
                ctx.use_certificate_chain_file(tls.clientCertificateFile);
            }
            if (!tls.clientKeyPem.empty()) {
                ctx.use_private_key(boost::asio::buffer(tls.clientKeyPem), boost::asio::ssl::context::pem);
            } else if (!tls.clientKeyFile.empty()) {
                ctx.use_private_key_file(tls.clientKeyFile, boost::asio::ssl::context::pem);
            }
        });
        return c;
    }

    std::string bearerToken() const {
        if (config.tokenFile.empty()) return config.bearerToken;
        std::lock_guard lock(tokenMu);
        auto now = std::chrono::steady_clock::now();
        if (cachedToken.empty() || now - tokenReadAt > kTokenRefresh) {
            cachedToken = readToken(config.tokenFile);
            tokenReadAt = now;
        }
        return cachedToken;
    }

    http::http_request makeRequest(const std::string& method, const std::string& pathAndQuery) const {
        http::http_request req(method);
        req.set_request_uri(web::uri(pathAndQuery));
        req.headers().add("Accept", "application/json");
        req.headers().add("User-Agent", config.userAgent);
        if (auto token = bearerToken(); !token.empty()) {
            req.headers().add("Authorization", "Bearer " + token);
        }
        return req;
    }
};

HttpTransport::HttpTransport(const Config& config) : impl_(std::make_unique<Impl>()) {
    impl_->config = config;
    try {
        impl_->client =
            std::make_unique<hc::http_client>(web::uri(config.server), impl_->clientConfig(config.requestTimeout));
    } catch (const std::exception& e) {
        throw ConfigError("invalid API server address \"" + config.server + "\": " + e.what());
    }
}

HttpTransport::~HttpTransport() = default;

HttpResponse HttpTransport::request(const std::string& method, const std::string& pathAndQuery, const std::string* body,
                                    const std::string& contentType) const {
    auto req = impl_->makeRequest(method, pathAndQuery);
    if (body) req.set_body(*body, contentType);
    try {
        auto resp = impl_->client->request(req).get();
        HttpResponse out;
        out.status = resp.status_code();
        out.body = resp.extract_utf8string(true).get();
        return out;
    } catch (const TransportError&) {
        throw;
    } catch (const std::exception& e) {
        throw TransportError(method + " " + impl_->config.server + pathAndQuery + ": " + e.what());
    }
}

std::optional<HttpResponse> HttpTransport::stream(const std::string& pathAndQuery,
                                                  std::chrono::seconds inactivityTimeout,
                                                  const std::function<void(std::string_view)>& onData,
                                                  std::stop_token stop) const {
    if (stop.stop_requested()) return std::nullopt;
    // A client of its own: its timeout is the watch's, not the ordinary request timeout.
    hc::http_client client(web::uri(impl_->config.server), impl_->clientConfig(inactivityTimeout));
    pplx::cancellation_token_source cancel;
    std::stop_callback onStop(stop, [&cancel] { cancel.cancel(); });
    struct CancelOnExit {  // never leave a half-read stream running behind us
        pplx::cancellation_token_source& c;
        ~CancelOnExit() { c.cancel(); }
    } cancelOnExit{cancel};

    auto req = impl_->makeRequest("GET", pathAndQuery);
    HttpResponse out;
    std::exception_ptr callbackError;  // the caller's exceptions pass through unchanged
    try {
        auto resp = client.request(req, cancel.get_token()).get();
        out.status = resp.status_code();
        if (out.status < 200 || out.status >= 300) {
            out.body = resp.extract_utf8string(true).get();
            return out;
        }
        auto buf = resp.body().streambuf();
        std::vector<uint8_t> chunk(64 * 1024);
        while (!stop.stop_requested()) {
            // Ask only for what is already there (or one byte): a larger getn waits to fill up.
            auto avail = static_cast<size_t>(std::max<std::streamsize>(buf.in_avail(), 1));
            size_t n = buf.getn(chunk.data(), std::min(avail, chunk.size())).get();
            if (n == 0) break;  // end of stream
            try {
                onData(std::string_view(reinterpret_cast<const char*>(chunk.data()), n));
            } catch (...) {
                callbackError = std::current_exception();
                break;
            }
        }
    } catch (const std::exception& e) {
        if (stop.stop_requested()) return std::nullopt;
        throw TransportError("GET " + impl_->config.server + pathAndQuery + ": " + e.what());
    }
    if (callbackError) std::rethrow_exception(callbackError);
    if (stop.stop_requested()) return std::nullopt;
    return out;
}

}  // namespace tidemark::kube::detail

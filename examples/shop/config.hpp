#ifndef SHOP_CONFIG_HPP
#define SHOP_CONFIG_HPP

// The shop's configuration: environment variables (SHOP_*), mirrored by command-line flags.
// A bad value stops start-up with a message naming the variable.

#include <rampart/redis/options.hpp>
#include <rampart/router/allowed_hosts.hpp>
#include <rampart/server/log_sink.hpp>
#include <rampart/throttle/rate.hpp>

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace shop {

// The default rates, once: the configuration starts from them and --help shows them.
inline constexpr const char* default_anon_rate = "100/hour";
inline constexpr const char* default_user_rate = "1000/hour";
inline constexpr const char* default_login_rate = "10/minute";

struct config {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    std::string db_path = "shop.db";
    std::optional<std::string> jwt_secret; // generated beside the database when absent
    std::optional<std::string> redis_url;
    /// The Redis client's circuit breaker: consecutive timeouts or failed connection attempts
    /// that open it (0: off), and the time between probes while it is open.
    unsigned redis_breaker_failures = 3;
    std::chrono::milliseconds redis_breaker_probe{1000};
    /// The throttle rates, parsed once (rate_text() writes one back for the start-up line).
    rampart::throttle::rate throttle_anon = rampart::throttle::parse_rate(default_anon_rate);
    rampart::throttle::rate throttle_user = rampart::throttle::parse_rate(default_user_rate);
    rampart::throttle::rate throttle_login = rampart::throttle::parse_rate(default_login_rate);
    std::int64_t access_ttl = 3600;
    std::int64_t refresh_ttl = 604800;
    unsigned trusted_proxies = 0;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    unsigned password_iterations = 1'000'000;
    /// Host patterns answered (rampart::allowed_hosts); any other Host: 400 before any work.
    std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
    /// The base of every absolute URL written (normalised); empty: the accepted Host.
    std::string public_url;
    /// Where /api/docs/ gets Swagger UI: a folder of npm's swagger-ui-dist, or an http(s) URL
    /// of one; empty: the folder cmake/dev.sh installs it in.
    std::string swagger_ui;
    /// PEM files: both set, SHOP_LISTEN serves HTTPS (reloaded on SIGHUP); neither, plain HTTP.
    std::string tls_cert;
    std::string tls_key;
    /// The access log's lines: text, or one JSON object each (with the request id either way).
    rampart::access_log_format log_format = rampart::access_log_format::text;
    /// GET /metrics serves Prometheus text (SHOP_METRICS=off: 404).
    bool metrics = true;
};

/// A configuration value that could not be used; the message names the variable.
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// `r` in the form SHOP_THROTTLE_* takes (`100/hour`); any other period in nanoseconds.
inline std::string rate_text(const rampart::throttle::rate& r) {
    using std::chrono::hours, std::chrono::minutes, std::chrono::seconds;
    const char* unit = r.period == seconds{1}   ? "second"
                       : r.period == minutes{1} ? "minute"
                       : r.period == hours{1}   ? "hour"
                       : r.period == hours{24}  ? "day"
                                                : nullptr;
    return std::to_string(r.tokens) +
           (unit ? std::string("/") + unit : " per " + std::to_string(r.period.count()) + "ns");
}

struct option {
    const char* variable;
    const char* flag;
    const char* fallback;
    const char* meaning;
};

inline const std::vector<option>& options() {
    static const std::vector<option> all{
        {"SHOP_LISTEN", "--listen", "127.0.0.1:8080", "address:port to listen on"},
        {"SHOP_DB", "--db", "shop.db", "SQLite database file (created, migrated, seeded)"},
        {"SHOP_JWT_SECRET", "--jwt-secret", "(generated beside the database)",
         "HMAC key for HS256 tokens"},
        {"SHOP_REDIS", "--redis", "(unset: in-process state)",
         "redis://host:port/db for throttles and the token blacklist"},
        {"SHOP_REDIS_BREAKER_FAILURES", "--redis-breaker-failures", "3",
         "Redis timeouts or failed connects in a row that open its circuit breaker (0: off)"},
        {"SHOP_REDIS_BREAKER_PROBE_MS", "--redis-breaker-probe-ms", "1000",
         "milliseconds between probes of Redis while its breaker is open"},
        {"SHOP_THROTTLE_ANON", "--throttle-anon", default_anon_rate,
         "anonymous rate, per client IP"},
        {"SHOP_THROTTLE_USER", "--throttle-user", default_user_rate,
         "authenticated rate, per user"},
        {"SHOP_THROTTLE_LOGIN", "--throttle-login", default_login_rate,
         "POST /api/token/ rate, per client IP"},
        {"SHOP_ACCESS_TTL", "--access-ttl", "3600", "access-token lifetime, seconds"},
        {"SHOP_REFRESH_TTL", "--refresh-ttl", "604800", "refresh-token lifetime, seconds"},
        {"SHOP_TRUSTED_PROXIES", "--trusted-proxies", "0",
         "reverse proxies in front that append to X-Forwarded-For"},
        {"SHOP_THREADS", "--threads", "(hardware concurrency)", "I/O threads"},
        {"SHOP_PASSWORD_ITERATIONS", "--password-iterations", "1000000",
         "PBKDF2-SHA256 iterations for new password hashes"},
        {"SHOP_ALLOWED_HOSTS", "--allowed-hosts", "localhost,127.0.0.1,[::1]",
         "Host names answered, any port (.example.com: domain and subdomains; *: all)"},
        {"SHOP_PUBLIC_URL", "--public-url", "(unset: from the allowed Host)",
         "base of absolute URLs (next, previous, Location), e.g. https://shop.example.com"},
        {"SHOP_SWAGGER_UI", "--swagger-ui", "(build/npm/node_modules/swagger-ui-dist)",
         "swagger-ui-dist folder, or an http(s) URL of one, for /api/docs/"},
        {"SHOP_TLS_CERT", "--tls-cert", "(unset: plain HTTP)",
         "PEM certificate chain: HTTPS on SHOP_LISTEN, with SHOP_TLS_KEY; SIGHUP reloads"},
        {"SHOP_TLS_KEY", "--tls-key", "(unset: plain HTTP)",
         "PEM private key of SHOP_TLS_CERT's certificate"},
        {"SHOP_LOG_FORMAT", "--log-format", "text",
         "access log lines: text, or json (one JSON object a line)"},
        {"SHOP_METRICS", "--metrics", "on", "on: GET /metrics serves Prometheus metrics; off: 404"},
    };
    return all;
}

inline std::string usage() {
    std::string text = "usage: shop [--help] [--FLAG VALUE ...]\n\n"
                       "The rampart example shop. Each setting is an environment variable; the\n"
                       "flag beside it overrides it.\n\n";
    for (const auto& o : options()) {
        std::string left = std::string("  ") + o.variable + " / " + o.flag;
        left.resize(std::max<std::size_t>(left.size() + 1, 48), ' ');
        text += left + o.meaning + " (default " + o.fallback + ")\n";
    }
    return text;
}

namespace detail {

inline std::int64_t parse_integer(std::string_view name, std::string_view text, std::int64_t min,
                                  std::int64_t max) {
    std::int64_t value = 0;
    bool ok = !text.empty() && text.size() <= 18;
    for (char c : text) {
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        value = value * 10 + (c - '0');
    }
    if (!ok || value < min || value > max)
        throw config_error(std::string(name) + ": expected a whole number from " +
                           std::to_string(min) + " to " + std::to_string(max) + ", got \"" +
                           std::string(text.substr(0, 40)) + "\"");
    return value;
}

inline rampart::throttle::rate parse_rate(std::string_view name, const std::string& text) {
    try {
        return rampart::throttle::parse_rate(text);
    } catch (const std::exception& e) {
        throw config_error(std::string(name) + ": " + e.what());
    }
}

inline void apply(config& c, std::string_view name, const std::string& value) {
    if (name == "SHOP_LISTEN") {
        auto colon = value.rfind(':');
        if (colon == std::string::npos || colon == 0)
            throw config_error("SHOP_LISTEN: expected address:port, got \"" + value + "\"");
        std::string host = value.substr(0, colon);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        boost::system::error_code ec;
        boost::asio::ip::make_address(host, ec);
        if (ec)
            throw config_error("SHOP_LISTEN: \"" + host + "\" is not an IP address");
        c.listen_host = host;
        c.listen_port = static_cast<std::uint16_t>(
            parse_integer("SHOP_LISTEN port", std::string_view(value).substr(colon + 1), 0, 65535));
    } else if (name == "SHOP_DB") {
        if (value.empty())
            throw config_error("SHOP_DB: must not be empty");
        c.db_path = value;
    } else if (name == "SHOP_JWT_SECRET") {
        if (value.size() < 32)
            throw config_error("SHOP_JWT_SECRET: must be at least 32 bytes for HS256");
        c.jwt_secret = value;
    } else if (name == "SHOP_REDIS") {
        try {
            rampart::redis::parse_url(value); // checked now: a bad URL must stop start-up here
        } catch (const rampart::redis::url_error& e) {
            throw config_error(std::string("SHOP_REDIS: ") + e.what());
        }
        c.redis_url = value;
    } else if (name == "SHOP_REDIS_BREAKER_FAILURES") {
        c.redis_breaker_failures = static_cast<unsigned>(parse_integer(name, value, 0, 1000));
    } else if (name == "SHOP_REDIS_BREAKER_PROBE_MS") {
        c.redis_breaker_probe = std::chrono::milliseconds{parse_integer(name, value, 10, 600'000)};
    } else if (name == "SHOP_THROTTLE_ANON") {
        c.throttle_anon = parse_rate(name, value);
    } else if (name == "SHOP_THROTTLE_USER") {
        c.throttle_user = parse_rate(name, value);
    } else if (name == "SHOP_THROTTLE_LOGIN") {
        c.throttle_login = parse_rate(name, value);
    } else if (name == "SHOP_ACCESS_TTL") {
        c.access_ttl = parse_integer(name, value, 1, 366LL * 86400);
    } else if (name == "SHOP_REFRESH_TTL") {
        c.refresh_ttl = parse_integer(name, value, 1, 3660LL * 86400);
    } else if (name == "SHOP_TRUSTED_PROXIES") {
        c.trusted_proxies = static_cast<unsigned>(parse_integer(name, value, 0, 16));
    } else if (name == "SHOP_THREADS") {
        c.threads = static_cast<unsigned>(parse_integer(name, value, 1, 256));
    } else if (name == "SHOP_PASSWORD_ITERATIONS") {
        c.password_iterations = static_cast<unsigned>(parse_integer(name, value, 1, 100'000'000));
    } else if (name == "SHOP_ALLOWED_HOSTS") {
        try {
            c.allowed_hosts = rampart::allowed_hosts::parse(value).patterns();
        } catch (const std::invalid_argument& e) {
            throw config_error(std::string("SHOP_ALLOWED_HOSTS: ") + e.what());
        }
    } else if (name == "SHOP_PUBLIC_URL") {
        try {
            c.public_url = rampart::normalize_public_url(value);
        } catch (const std::invalid_argument& e) {
            throw config_error(std::string("SHOP_PUBLIC_URL: ") + e.what());
        }
    } else if (name == "SHOP_SWAGGER_UI") {
        // A folder is checked now, before anything is opened or bound; a URL is the browser's.
        bool url = value.starts_with("http://") || value.starts_with("https://");
        if (!url && !std::ifstream(value + "/swagger-ui-bundle.js"))
            throw config_error("SHOP_SWAGGER_UI: no swagger-ui-bundle.js in \"" + value +
                               "\" (a folder of npm's swagger-ui-dist, or an http(s) URL of one)");
        c.swagger_ui = value;
    } else if (name == "SHOP_TLS_CERT" || name == "SHOP_TLS_KEY") {
        if (value.empty())
            throw config_error(std::string(name) + ": must not be empty");
        (name == "SHOP_TLS_CERT" ? c.tls_cert : c.tls_key) = value;
    } else if (name == "SHOP_LOG_FORMAT") {
        if (value == "text")
            c.log_format = rampart::access_log_format::text;
        else if (value == "json")
            c.log_format = rampart::access_log_format::json;
        else
            throw config_error("SHOP_LOG_FORMAT: expected text or json, got \"" +
                               value.substr(0, 40) + "\"");
    } else if (name == "SHOP_METRICS") {
        if (value != "on" && value != "off")
            throw config_error("SHOP_METRICS: expected on or off, got \"" + value.substr(0, 40) +
                               "\"");
        c.metrics = value == "on";
    }
}

} // namespace detail

/// Reads the environment, then the flags. Throws config_error; `help` is set by `--help`.
inline config load_config(int argc, char** argv, bool& help) {
    config c;
    help = false;
    for (const auto& o : options())
        if (const char* v = std::getenv(o.variable))
            detail::apply(c, o.variable, v);
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            help = true;
            return c;
        }
        std::string value;
        auto eq = arg.find('=');
        std::string_view flag = arg.substr(0, eq);
        const option* match = nullptr;
        for (const auto& o : options())
            if (flag == o.flag)
                match = &o;
        if (!match)
            throw config_error("unknown option \"" + std::string(arg) + "\" (see --help)");
        if (eq != std::string_view::npos)
            value = std::string(arg.substr(eq + 1));
        else if (i + 1 < argc)
            value = argv[++i];
        else
            throw config_error(std::string(match->flag) + ": needs a value");
        detail::apply(c, match->variable, value);
    }
    if (c.tls_cert.empty() != c.tls_key.empty())
        throw config_error(c.tls_cert.empty()
                               ? "SHOP_TLS_KEY is set without SHOP_TLS_CERT: HTTPS needs both"
                               : "SHOP_TLS_CERT is set without SHOP_TLS_KEY: HTTPS needs both");
    return c;
}

} // namespace shop

#endif

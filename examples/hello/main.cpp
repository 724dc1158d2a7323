// hello: a request handler written the way Boost.Beast's examples write one, wrapped by
// rampart's error envelope, behind rampart's Host check, and served by rampart's server.
// Usage: hello [port] [threads] (or PORT and THREADS in the environment); ALLOWED_HOSTS (comma
// separated, default localhost,127.0.0.1,[::1]) names the Host values it answers. With
// TLS_PORT, TLS_CERT and TLS_KEY (PEM files) it also serves HTTPS on TLS_PORT, and SIGHUP
// reloads the files. Stops gracefully on SIGINT and SIGTERM.

#include <rampart/errors.hpp>
#include <rampart/router/allowed_hosts.hpp>
#include <rampart/server.hpp>

#include <boost/beast/version.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace beast = boost::beast;
namespace http = beast::http;

// Returns a response for the given request, as in Beast's examples; errors it throws are
// answered in rampart's JSON envelope.
http::response<http::string_body> handle_request(http::request<http::string_body>&& req) {
    if (req.method() != http::verb::get && req.method() != http::verb::head)
        throw rampart::method_not_allowed(req.method_string(), {"GET", "HEAD"});
    if (req.target() != "/")
        throw rampart::not_found("The resource '" + std::string(req.target()) + "' was not found.");

    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::server, BOOST_BEAST_VERSION_STRING);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(req.keep_alive());
    res.body() = "Hello, world!\n";
    res.prepare_payload();
    return res;
}

static const char* setting(int argc, char* argv[], int index, const char* env) {
    return argc > index ? argv[index] : std::getenv(env);
}

int main(int argc, char* argv[]) {
    rampart::server_config config;
    if (const char* port = setting(argc, argv, 1, "PORT"))
        config.endpoint.port(static_cast<unsigned short>(std::stoul(port)));
    if (const char* threads = setting(argc, argv, 2, "THREADS"))
        config.threads = static_cast<unsigned>(std::stoul(threads));

    // Safe as written: a Host outside the list (or two, or none on HTTP/1.1) is a 400 before
    // the handler runs.
    const char* hosts = std::getenv("ALLOWED_HOSTS");
    auto allowed = rampart::allowed_hosts::parse(hosts ? hosts : "localhost,127.0.0.1,[::1]");
    rampart::server server{
        rampart::stack(rampart::error_envelope<>{}, allowed).wrap(&handle_request), config};
    std::cout << "hello: serving http://127.0.0.1:" << server.port() << "/" << std::endl;
    const char* tls_port = std::getenv("TLS_PORT");
    const char* tls_cert = std::getenv("TLS_CERT");
    const char* tls_key = std::getenv("TLS_KEY");
    if (tls_port && tls_cert && tls_key) {
        auto https = server.listen_tls(
            {config.endpoint.address(), static_cast<unsigned short>(std::stoul(tls_port))},
            rampart::tls_context{{.cert_chain_file = tls_cert, .key_file = tls_key}});
        std::cout << "hello: serving https://127.0.0.1:" << https.port() << "/" << std::endl;
    }
    server.run_until_signal();
    std::cout << "hello: stopped" << std::endl;
    return EXIT_SUCCESS;
}

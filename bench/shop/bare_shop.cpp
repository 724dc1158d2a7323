// bare_shop PORT DB THREADS: the baseline of bench/load.sh. Beast's own coroutine style, one
// SQLite connection per thread, the shop's product-page query, and nothing else: no router,
// envelope, throttle, validation or cursor signing. It answers GET /api/v1/products/ only.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string db_path;

std::string product_page() {
    thread_local sqlite3* db = [] {
        sqlite3* handle = nullptr;
        sqlite3_open_v2(db_path.c_str(), &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr);
        return handle;
    }();
    thread_local sqlite3_stmt* stmt = [] {
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v3(db,
                           "SELECT id, name, price_cents, stock FROM products WHERE id > ? "
                           "ORDER BY id LIMIT ?",
                           -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
        return s;
    }();
    sqlite3_bind_int64(stmt, 1, 0);
    sqlite3_bind_int64(stmt, 2, 26);
    boost::json::array results;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        auto cents = sqlite3_column_int64(stmt, 2);
        char price[32];
        std::snprintf(price, sizeof price, "%lld.%02lld", static_cast<long long>(cents / 100),
                      static_cast<long long>(cents % 100));
        results.push_back(boost::json::object{
            {"id", sqlite3_column_int64(stmt, 0)},
            {"name", reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1))},
            {"price", price},
            {"stock", sqlite3_column_int64(stmt, 3)}});
    }
    sqlite3_reset(stmt);
    bool more = results.size() > 25;
    if (more)
        results.pop_back();
    boost::json::object body{
        {"next", more ? boost::json::value("http://127.0.0.1/api/v1/products/?cursor=x")
                      : boost::json::value(nullptr)},
        {"previous", nullptr},
        {"results", std::move(results)}};
    return boost::json::serialize(body);
}

asio::awaitable<void> session(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        auto [ec, n] =
            co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
        if (ec)
            break;
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "application/json");
        if (req.target() == "/api/v1/products/" && req.method() == http::verb::get) {
            res.body() = product_page();
        } else {
            res.result(http::status::not_found);
            res.body() = R"({"status":"error","code":404,"errors":{"detail":"Not found."}})";
        }
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        auto [wec, w] =
            co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (wec || !res.keep_alive())
            break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec)
            continue;
        asio::co_spawn(acceptor.get_executor(), session(beast::tcp_stream(std::move(socket))),
                       asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: bare_shop PORT DB THREADS\n");
        return 2;
    }
    db_path = argv[2];
    int threads = std::max(1, std::atoi(argv[3]));
    asio::io_context io{threads};
    tcp::acceptor acceptor{
        io, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::atoi(argv[1]))}};
    asio::co_spawn(io, listen(acceptor), asio::detached);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i)
        pool.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : pool)
        t.join();
}

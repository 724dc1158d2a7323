#ifndef SHOP_APP_HPP
#define SHOP_APP_HPP

// The shop's HTTP API (../../docs/shop-api.md), assembled from rampart's parts:
//
//   error_envelope | access_log | health | metrics::http_metrics | allowed_hosts |
//   metrics::serve | openapi::serve_docs | jwt::authenticate | throttle::limiter | jwt::enforce |
//   router
//
// The router holds v1 and v2 of products and orders, and the unversioned token endpoints.
// Everything here is generic over the two stores, so the same code runs with in-process state
// or with Redis.

#include "config.hpp"
#include "db.hpp"

#include <rampart/core.hpp>
#include <rampart/errors.hpp>
#include <rampart/jwt.hpp>
#include <rampart/metrics.hpp>
#include <rampart/openapi.hpp>
#include <rampart/pagination.hpp>
#include <rampart/router.hpp>
#include <rampart/server.hpp>
#include <rampart/throttle.hpp>
#include <rampart/validation.hpp>

#include <boost/asio/thread_pool.hpp>

#include <iostream>
#include <optional>
#include <string>

// Where cmake/dev.sh installs swagger-ui-dist (examples/shop/CMakeLists.txt defines it).
#ifndef SHOP_SWAGGER_UI_DIR
#define SHOP_SWAGGER_UI_DIR "build/npm/node_modules/swagger-ui-dist"
#endif

namespace shop {

namespace jwt = rampart::jwt;
namespace openapi = rampart::openapi;
namespace throttle = rampart::throttle;
namespace v = rampart::validation;
using rampart::context;
namespace http = rampart::http;
using rampart::response;

/// The body of `POST /api/vN/orders/`.
struct order_in {
    std::int64_t product_id = 0;
    int quantity = 0;
    std::string shipping_address;
};

/// Users for the token endpoints: the shop's own table, its own hashes.
struct user_directory {
    catalog* db;
    const jwt::password_hasher* hasher;
    jwt::hashing_pool* hashing; // PBKDF2 runs here, never on an I/O thread; bounded queue

    asio::awaitable<std::optional<std::string>> check_credentials(std::string_view username,
                                                                  std::string_view password) {
        // Admission first: a login refused for a full queue (503, Retry-After) costs neither a
        // query nor a hash, and the refusal cannot depend on whether the user exists.
        jwt::hashing_pool::ticket place = hashing->admit();
        std::optional<user_row> row = co_await db->find_user(username);
        std::optional<std::string> stored; // none: a dummy hash runs, so timing says nothing
        if (row)
            stored = row->password_hash;
        std::string attempt{password};
        auto checking = hashing->check(std::move(place), *hasher, attempt, stored);
        jwt::password_check check = co_await std::move(checking);
        OPENSSL_cleanse(attempt.data(), attempt.size());
        if (!check.valid || !row || !row->active)
            co_return std::nullopt;
        if (check.rehashed) // an older hash: upgrade it now that the password is known
            co_await db->save_password_hash(row->id, *check.rehashed);
        co_return std::to_string(row->id);
    }

    asio::awaitable<bool> is_active(std::string_view user_id) {
        std::optional<std::int64_t> id = rampart::parse_integer<std::int64_t>(user_id);
        if (!id || !jwt::integer_user_id(user_id))
            co_return false;
        co_return co_await db->user_is_active(*id);
    }
};

/// The lookup behind the user-status cache: one indexed query on a database worker.
struct user_active_lookup {
    user_directory users;
    asio::awaitable<bool> operator()(std::string_view user_id) { return users.is_active(user_id); }
};

/// How the shop authenticates: its user ids are integers, its tokens carry a `jti`, and a
/// token stops working within 5 s (the cache's max_age) of its user's deactivation.
template <class Cache>
jwt::authenticate_options authentication(Cache& users) {
    jwt::authenticate_options o;
    o.valid_user_id = jwt::integer_user_id;
    o.user_active = [&users](std::string_view id) { return users.is_active(id); };
    return o;
}

/// The authenticated caller's id; a token naming no user of this shop is refused.
inline std::int64_t caller_id(const context& ctx) {
    std::optional<std::int64_t> id = ctx.principal().user_id_as<std::int64_t>();
    if (!id) {
        // authenticate's valid_user_id already refuses such tokens; this is the last guard.
        rampart::authentication_failed err{"Token contained no recognizable user identification.",
                                           "token_not_valid"};
        err.with_header("WWW-Authenticate",
                        R"(Bearer realm="api", error="invalid_token", )"
                        R"(error_description="Token contained no recognizable user )"
                        R"(identification.")");
        throw err;
    }
    return *id;
}

/// An order as every version shows it.
inline auto order_shape() {
    using v::out;
    return v::shape<order>(out("id", &order::id), out("product_id", &order::product_id),
                           out("quantity", &order::quantity),
                           out("shipping_address", &order::shipping_address),
                           out("status", &order::status), out("created_at", &order::created_at));
}

struct money {
    rampart::decimal amount;
    std::string currency;
};

/// Everything the API needs, alive as long as the server runs. `BucketStore` and `TokenStore`
/// are the in-process stores or the Redis ones.
template <class BucketStore, class TokenStore>
class api {
public:
    api(const config& cfg, catalog& db, BucketStore& buckets, TokenStore& tokens_store,
        const std::string& jwt_secret, const std::string& cursor_secret,
        const jwt::password_hasher& hasher, jwt::hashing_pool& hashing,
        rampart::metrics::registry* metrics = nullptr)
        : cfg_(cfg), db_(db), metrics_(metrics ? *metrics : own_metrics_), token_events_(metrics_),
          throttle_decisions_(metrics_, {"anon", "user", "login"}),
          key_(jwt::key::hs256(jwt_secret)), issuer_(key_, lifetimes(cfg)),
          verifier_(jwt::key_set{key_}),
          tokens_(issuer_, verifier_, tokens_store, user_directory{&db, &hasher, &hashing},
                  {.on_event = token_events_.listener()}),
          tokens_store_(tokens_store),
          users_(user_active_lookup{user_directory{&db, &hasher, &hashing}}),
          limiter_(buckets, proxies(cfg), throttle::anonymous(cfg.throttle_anon),
                   throttle::user(cfg.throttle_user)),
          login_limiter_(buckets, proxies(cfg), throttle::per_ip("login", cfg.throttle_login)),
          products_({.endpoint = "products",
                     .ordering = {{"id"}},
                     .cursors = {.keys = {cursor_secret}},
                     .links = {.public_url = cfg.public_url}}),
          orders_(
              {.endpoint = "orders",
               .ordering = {{"created_at", pg::order::descending}, {"id", pg::order::descending}},
               .cursors = {.keys = {cursor_secret}},
               .links = {.public_url = cfg.public_url}}),
          products_query_(catalog::product_columns, products_.ordering()),
          orders_query_(catalog::order_columns, orders_.ordering(), "user_id = ?"),
          order_schema_(make_order_schema(db)) {
        limiter_.observe(throttle_decisions_.listener());
        login_limiter_.observe(throttle_decisions_.listener()); // before add_routes copies it
        add_routes();
        // Requests are counted by the routes just declared, and /metrics itself.
        std::vector<std::string> templates =
            rampart::metrics::route_templates(router_.declarations());
        templates.emplace_back("/metrics");
        http_metrics_.emplace(metrics_, std::move(templates));
        // The document is built once, from the routes just declared; serving it is a copy.
        docs_.emplace(openapi::generate(router_.declarations(), document_options()),
                      swagger_ui_options(cfg), openapi::docs_paths{},
                      openapi::missing_ui::unavailable);
        if (!docs_->ui_problem().empty()) // the document is served all the same
            std::cerr << "shop: warning: /api/docs/ answers 503: " << docs_->ui_problem()
                      << " (cmake/dev.sh deps installs it; or set SHOP_SWAGGER_UI)\n";
    }

    api(const api&) = delete;
    api& operator=(const api&) = delete;

    /// The whole service as one handler, for rampart::server; access lines go to `access`.
    /// /readyz asks the database and `more` (Redis, when the stores live there).
    template <rampart::access_log_sink Sink = rampart::stderr_sink,
              rampart::readiness_check... More>
    auto handler(Sink access = {},
                 rampart::access_log_format format = rampart::access_log_format::text,
                 rampart::named_check<More>... more) {
        // /healthz and /readyz before everything that may refuse: probes need no token, are
        // never throttled, and come by IP address (no allowed Host). Then allowed_hosts: a
        // refused Host costs no token check, no throttle lookup, no handler.
        rampart::health probes{
            rampart::ready_check("database", rampart::sqlite::readiness{&db_.db()}),
            std::move(more)...};
        return rampart::stack(rampart::error_envelope<>{},
                              rampart::access_log<Sink>{std::move(access), format},
                              std::move(probes), *http_metrics_, hosts_,
                              rampart::metrics::serve{metrics_, "/metrics", cfg_.metrics}, *docs_,
                              jwt::authenticate{verifier_, tokens_store_, authentication(users_)},
                              limiter_, jwt::enforce{})
            .wrap(router_);
    }

private:
    static jwt::issuer_options lifetimes(const config& cfg) {
        jwt::issuer_options o;
        o.access_lifetime = std::chrono::seconds{cfg.access_ttl};
        o.refresh_lifetime = std::chrono::seconds{cfg.refresh_ttl};
        return o;
    }

    /// What the layers around the router do, for the document: tokens are checked and rates
    /// spent on every request; any request may meet a refused Host (400), the body limit (413)
    /// or a store that is down (503).
    static openapi::document_options document_options() {
        openapi::document_options o;
        o.title = "rampart shop";
        o.description = "The example order/product service of rampart (docs/shop-api.md).";
        o.throttled = true;
        o.authentication_everywhere = true;
        o.common_errors = {400, 413, 503};
        o.require_declared = true;
        return o;
    }

    /// SHOP_SWAGGER_UI: a URL or a folder; unset, the folder cmake/dev.sh installs. When the
    /// folder's assets cannot be read the shop still starts: /api/docs/ answers 503 and
    /// start-up says why.
    static openapi::swagger_ui_options swagger_ui_options(const config& cfg) {
        openapi::swagger_ui_options o;
        o.title = "rampart shop API";
        const std::string& where = cfg.swagger_ui;
        if (where.starts_with("http://") || where.starts_with("https://"))
            o.assets_url = where;
        else
            o.assets_dir = where.empty() ? std::string(SHOP_SWAGGER_UI_DIR) : where;
        return o;
    }

    static throttle::client_ip_options proxies(const config& cfg) {
        throttle::client_ip_options o;
        o.trusted_proxies = cfg.trusted_proxies;
        return o;
    }

    static auto make_order_schema(catalog& db) {
        using v::field;
        // The product lookup is a field validator: it runs even when another field fails, so
        // one 400 lists every field error. The stock check needs a valid quantity too, so it
        // stays an object validator (run only when every field passed).
        return v::schema<order_in>(
                   field(&order_in::product_id, "product_id")
                       .exists(
                           [&db](std::int64_t id) -> asio::awaitable<bool> {
                               std::optional<std::int64_t> stock = co_await db.stock_of(id);
                               co_return stock.has_value();
                           },
                           "Invalid pk \"{value}\" - object does not exist.", "does_not_exist"),
                   field(&order_in::quantity, "quantity")
                       .min(1, "Quantity must be at least 1.")
                       .max(100, "Maximum order quantity is 100."),
                   field(&order_in::shipping_address, "shipping_address")
                       .not_blank()
                       .max_length(500))
            .validate_with(
                [&db](const order_in& o, rampart::field_errors& errors) -> asio::awaitable<void> {
                    std::optional<std::int64_t> stock = co_await db.stock_of(o.product_id);
                    if (!stock) // deleted since the field's lookup
                        errors.add("product_id", no_such_product(o.product_id), "does_not_exist");
                    else if (o.quantity > *stock)
                        errors.add("quantity", "Insufficient stock for this product.",
                                   "insufficient_stock");
                });
    }

    static std::string no_such_product(std::int64_t id) {
        return "Invalid pk \"" + std::to_string(id) + "\" - object does not exist.";
    }

    // The product as each version shows it.
    static auto product_shapes() {
        using v::out;
        auto money_shape =
            v::shape<money>(out("amount", &money::amount), out("currency", &money::currency));
        auto v1 = v::shape<product>(out("id", &product::id), out("name", &product::name),
                                    out("price", &product::price), out("stock", &product::stock));
        auto v2 = v::shape<product>(out("id", &product::id), out("name", &product::name),
                                    out(
                                        "price",
                                        [](const product& p) {
                                            return money{p.price, p.currency};
                                        },
                                        money_shape),
                                    out("stock", &product::stock),
                                    out("in_stock", [](const product& p) { return p.stock > 0; }));
        return v::versions(v::version("v1", v1), v::version("v2", v2));
    }

    void add_routes() {
        auto both = router_.versions({"v1", "v2"});
        both.get("/products/",
                 [this](context& ctx) -> asio::awaitable<response> {
                     pg::sqlite_source source{db_.db(), products_query_, read_product};
                     auto key_of = [](const product& p) { return pg::key{pg::key_value{p.id}}; };
                     auto page = co_await products_.paginate(ctx, source, key_of);
                     co_return rampart::json_response(
                         http::status::ok, page.to_json([&](const product& p) {
                             return product_out_.render(ctx.version(), p);
                         }));
                 },
                 "product-list",
                 {.summary = "List products, by id",
                  .tags = {"products"},
                  .result = openapi::results(product_out_),
                  .pages = openapi::pages_of(products_)});
        both.get("/products/{id:int}/",
                 [this](context& ctx) -> asio::awaitable<response> {
                     const std::int64_t id = *ctx.param<std::int64_t>("id");
                     std::optional<product> p = co_await db_.find_product(id);
                     if (!p) // rendered, not thrown: the same 404 without a C++ exception
                         co_return ctx.render_error(rampart::not_found{});
                     co_return rampart::json_response(http::status::ok,
                                                      product_out_.render(ctx.version(), *p));
                 },
                 "product-detail",
                 {.summary = "One product",
                  .tags = {"products"},
                  .result = openapi::results(product_out_),
                  .errors = {404}});

        auto orders = both.group("/orders", rampart::stack(jwt::require_authenticated{}));
        orders.get("/",
                   [this](context& ctx) -> asio::awaitable<response> {
                       const std::int64_t user = caller_id(ctx);
                       const std::string filter = "user=" + std::to_string(user);
                       pg::sqlite_source source{db_.db(), orders_query_, read_order, user};
                       auto key_of = [](const order& o) { return pg::key{o.created_at, o.id}; };
                       auto page = co_await orders_.paginate(ctx, source, key_of, filter);
                       co_return rampart::json_response(
                           http::status::ok,
                           page.to_json([&](const order& o) { return order_out_.render(o); }));
                   },
                   "order-list",
                   {.summary = "The caller's orders, newest first",
                    .tags = {"orders"},
                    .result = openapi::results(order_out_),
                    .pages = openapi::pages_of(orders_)});
        orders.post(
            "/",
            [this](context& ctx) -> asio::awaitable<response> {
                std::int64_t user = caller_id(ctx);
                order_in in = co_await v::read(ctx, order_schema_);
                // Everything that can refuse runs before the transaction (the Location's route
                // and base included); after the commit nothing can turn the 201 into an error.
                const rampart::prepared_url location = urls_.prepare(ctx, "order-detail");
                auto placed =
                    co_await db_.place_order(user, in.product_id, in.quantity, in.shipping_address);
                if (auto* refusal = std::get_if<order_refusal>(&placed)) {
                    // Another order took the stock between the check and the transaction.
                    if (*refusal == order_refusal::insufficient_stock)
                        throw rampart::validation_error("quantity",
                                                        "Insufficient stock for this product.",
                                                        "insufficient_stock");
                    throw rampart::validation_error("product_id", no_such_product(in.product_id),
                                                    "does_not_exist");
                }
                const order& o = std::get<order>(placed);
                response res = rampart::json_response(http::status::created, order_out_.render(o));
                if (auto url = location.try_format({{"id", o.id}})) // a row id always fits {id:int}
                    res.set(http::field::location, *url);
                co_return res;
            },
            "order-create",
            {.summary = "Place an order",
             .description = "The product's stock drops by `quantity` in the same transaction.",
             .tags = {"orders"},
             .body = openapi::body_of(order_schema_),
             .result = openapi::results(order_out_),
             .headers = {
                 {.name = "Location", .description = "The new order's URL.", .required = true}}});
        orders.get("/{id:int}/",
                   [this](context& ctx) -> asio::awaitable<response> {
                       const std::int64_t user = caller_id(ctx);
                       const std::int64_t id = *ctx.param<std::int64_t>("id");
                       std::optional<order> o = co_await db_.find_order(user, id);
                       if (!o) // rendered, not thrown: the same 404 without a C++ exception
                           co_return ctx.render_error(rampart::not_found{});
                       co_return rampart::json_response(http::status::ok, order_out_.render(*o));
                   },
                   "order-detail",
                   {.summary = "One of the caller's orders",
                    .tags = {"orders"},
                    .result = openapi::results(order_out_),
                    .errors = {404}});

        auto auth = router_.unversioned();
        auth.with(rampart::stack(login_limiter_))
            .post("/api/token/", tokens_.obtain_handler(), "token", tokens_.obtain_doc());
        auth.post("/api/token/refresh/", tokens_.refresh_handler(), "token-refresh",
                  tokens_.refresh_doc());
        auth.post("/api/token/verify/", tokens_.verify_handler(), "token-verify",
                  tokens_.verify_doc());
        auth.post("/api/token/blacklist/", tokens_.blacklist_handler(), "token-blacklist",
                  tokens_.blacklist_doc());
    }

    // The members' types, named once.
    using token_endpoints = jwt::token_service<TokenStore, user_directory>;
    using user_status = jwt::user_status_cache<user_active_lookup>; // 10,000 users, 5 s
    /// Anonymous callers by client IP, authenticated ones by user id.
    using request_limiter =
        throttle::limiter<BucketStore, throttle::rule<throttle::keys::anonymous_client_ip>,
                          throttle::rule<throttle::keys::user_id>>;
    using login_limiter = throttle::limiter<BucketStore, throttle::rule<throttle::keys::client_ip>>;
    using product_views = decltype(product_shapes());
    using order_schema = decltype(make_order_schema(std::declval<catalog&>()));
    using order_view = decltype(order_shape());

    const config& cfg_;
    catalog& db_;
    rampart::metrics::registry own_metrics_; // when the caller gives none (tests)
    rampart::metrics::registry& metrics_;
    rampart::metrics::token_metrics token_events_;
    rampart::metrics::throttle_metrics throttle_decisions_;
    jwt::key key_;
    jwt::issuer<> issuer_;
    jwt::verifier<> verifier_;
    token_endpoints tokens_;
    TokenStore& tokens_store_;
    user_status users_;
    request_limiter limiter_;
    login_limiter login_limiter_;
    pg::cursor_paginator<> products_;
    pg::cursor_paginator<> orders_;
    pg::sqlite_keyset products_query_;
    pg::sqlite_keyset orders_query_;
    product_views product_out_ = product_shapes();
    order_view order_out_ = order_shape();
    order_schema order_schema_;
    rampart::allowed_hosts hosts_{cfg_.allowed_hosts};
    rampart::router router_{rampart::router_options{.public_base_url = cfg_.public_url}};
    rampart::url_builder urls_ = router_.urls();
    /// GET /api/schema/ and /api/docs/, outside authentication and throttling; made once the
    /// routes exist.
    std::optional<openapi::serve_docs> docs_;
    /// Requests by route template; made once the routes exist.
    std::optional<rampart::metrics::http_metrics<>> http_metrics_;
};

} // namespace shop

#endif

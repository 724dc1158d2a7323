#ifndef RAMPART_JWT_HPP
#define RAMPART_JWT_HPP

// The token layer.
#include <rampart/jwt/algorithm.hpp>
#include <rampart/jwt/claims.hpp>
#include <rampart/jwt/concepts.hpp>
#include <rampart/jwt/cookies.hpp>
#include <rampart/jwt/error.hpp>
#include <rampart/jwt/issuer.hpp>
#include <rampart/jwt/jwks.hpp>
#include <rampart/jwt/key.hpp>
#include <rampart/jwt/key_set.hpp>
#include <rampart/jwt/remote_jwks.hpp>
#include <rampart/jwt/verifier.hpp>

// The service layer (authentication middleware, token service, stores, passwords).
#include <rampart/jwt/authenticate.hpp>
#include <rampart/jwt/hashing_pool.hpp>
#include <rampart/jwt/password.hpp>
#include <rampart/jwt/secret.hpp>
#include <rampart/jwt/token_service.hpp>
#include <rampart/jwt/token_store.hpp>
#include <rampart/jwt/user_status_cache.hpp>

#endif

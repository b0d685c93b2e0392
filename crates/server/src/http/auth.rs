//! API keys at the HTTP edge: an extractor that lets a request through only with a key holding the endpoint's scope,
//! within the key's rate limit. List it first among a handler's arguments, so that it runs before the body is read:
//!
//! ```ignore
//! pub async fn validate(_key: Scoped<scope::AddressValidate>, body: web::Json<…>) -> … { … }
//! ```
//!
//! Answers: 401 `unauthorized` without an `Authorization: Bearer …` header (or one that is not text); 403
//! `invalid_key` for a key that is unknown, revoked or mistyped; 403 `forbidden` for a valid key without the scope;
//! 429 `rate_limited` with `Retry-After` over the key's limit, or over the limit of key-store lookups of the peer
//! (ids in no cache); 503 `database_unavailable` when the key store cannot be read.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;

use crate::http::error::ErrorBody;
use crate::http::{ApiError, AppState};
use diachi_auth::keyring::AuthError;
use diachi_auth::{Principal, Scope};

/// The scopes as types, for [`Scoped`].
pub mod scope {
    use diachi_auth::Scope;

    /// A scope an endpoint requires.
    pub trait ScopeMarker {
        const SCOPE: Scope;
    }

    macro_rules! marker {
        ($($name:ident),*) => {$(
            #[doc = concat!("The `", stringify!($name), "` scope.")]
            pub struct $name;
            impl ScopeMarker for $name {
                const SCOPE: Scope = Scope::$name;
            }
        )*};
    }
    marker!(AddressValidate, RegistryWrite, IdentityVerify, Admin, DeliveryPlan);
}

/// A request let through for a key with scope `S`; holds who made it.
pub struct Scoped<S>(pub Principal, PhantomData<S>);

/// A refused request: the JSON error, and `Retry-After` when rate limited.
#[derive(Debug)]
pub struct Rejection {
    pub error: ApiError,
    pub retry_after_s: Option<u64>,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        self.error.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.error.error_response();
        if let Some(s) = self.retry_after_s
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.error.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<AuthError> for Rejection {
    fn from(e: AuthError) -> Self {
        let (status, code, retry) = match &e {
            AuthError::Missing => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            AuthError::Invalid => (StatusCode::FORBIDDEN, "invalid_key", None),
            AuthError::MissingScope(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            AuthError::RateLimited(d) => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited", Some(d.as_secs() + u64::from(d.subsec_nanos() > 0)))
            }
            AuthError::Store(db)
                if db.downcast_ref::<diachi_db::DbError>().is_some_and(diachi_db::DbError::is_unavailable) =>
            {
                return Self { error: ApiError::database_unavailable(), retry_after_s: Some(1) };
            }
            AuthError::Store(db) => {
                tracing::error!(error = %db, "reading API keys failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "database_error", None)
            }
        };
        Self { error: ApiError::new(status, code, e.to_string()), retry_after_s: retry }
    }
}

/// The bearer token of a request.
fn bearer(req: &HttpRequest) -> Result<&str, AuthError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::Missing)
}

/// Lets `req` through for one of `scopes`, or says why not; records the key id for the audit log.
pub async fn authorize(req: &HttpRequest, scopes: &[Scope]) -> Result<Principal, Rejection> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| Rejection { error: ApiError::not_ready(), retry_after_s: None })?;
    let token = bearer(req)?;
    let keyring = state.keyring();
    let store = state.database().map(|d| d.as_ref() as &dyn diachi_auth::keyring::KeyStore);
    let peer = req.peer_addr().map(|a| a.ip());
    let who = keyring.authenticate(token, store, peer).await?;
    req.extensions_mut().insert(Caller(who.key_id.clone()));
    keyring.admit_any(&who, scopes)?;
    Ok(who)
}

/// The key id of the request's caller, once authenticated (read by the audit log).
#[derive(Debug, Clone)]
pub struct Caller(pub String);

impl<S: scope::ScopeMarker> FromRequest for Scoped<S> {
    type Error = Rejection;
    type Future = LocalBoxFuture<'static, Result<Self, Rejection>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authorize(&req, &[S::SCOPE]).await.map(|p| Scoped(p, PhantomData)) })
    }
}

/// A request on existing registrations, let through for a key with `registry:write` (which reaches the
/// registrations it created) or `registry:admin` (which reaches every one).
pub struct Registrar(pub Principal);

impl Registrar {
    /// The registrations the caller reaches.
    #[must_use]
    pub fn access(&self) -> diachi_registry::Access<'_> {
        if self.0.has(Scope::RegistryAdmin) {
            diachi_registry::Access::Any
        } else {
            diachi_registry::Access::CreatedBy(&self.0.key_id)
        }
    }
}

impl FromRequest for Registrar {
    type Error = Rejection;
    type Future = LocalBoxFuture<'static, Result<Self, Rejection>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authorize(&req, &[Scope::RegistryWrite, Scope::RegistryAdmin]).await.map(Registrar) })
    }
}

// The answers of refused requests in the OpenAPI document.

/// 401: no key.
#[derive(utoipa::IntoResponses)]
#[response(status = 401, description = "`unauthorized`: no `Authorization: Bearer <API key>` header")]
pub struct NoKey(#[allow(dead_code)] ErrorBody);

/// 403: a key that is not valid, or lacks the scope.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 403,
    description = "`invalid_key`: the key is unknown, revoked or mistyped; `forbidden`: it lacks the endpoint's scope"
)]
pub struct Forbidden(#[allow(dead_code)] ErrorBody);

/// 429: over the key's rate limit.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "`rate_limited`: over the key's rate limit; retry after `Retry-After` seconds",
    headers(("Retry-After" = u64, description = "seconds to wait"))
)]
pub struct RateLimited(#[allow(dead_code)] ErrorBody);

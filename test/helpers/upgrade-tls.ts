/**
 * A self-signed P-256 certificate for `localhost` and `127.0.0.1`, valid until 2126, for tests of
 * the guard over TLS (a `wss:` handshake makes the request's scheme https). Test use only.
 */
export const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWHQiA1gEE8tGEeqg
Y8PXrO3rRFmgdnut8nGtfjne8vuhRANCAAQARzZ6j5bYk3h6Us6GUEtXkQW+ZEyF
B/eQyd+Hjo4OEm+rSDir2uC0DLlQetw0BBjH02zqEle86h0Xm5vl8f1p
-----END PRIVATE KEY-----
`;

export const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUTewZAa0bDb/Npbrt1sgRm4jm010wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDE5NTYyMFoYDzIxMjYxMDMx
MTk1NjIwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQARzZ6j5bYk3h6Us6GUEtXkQW+ZEyFB/eQyd+Hjo4OEm+rSDir2uC0
DLlQetw0BBjH02zqEle86h0Xm5vl8f1po28wbTAdBgNVHQ4EFgQUp0/ACP2ePoUl
LjHDVj+oiMD9P8EwHwYDVR0jBBgwFoAUp0/ACP2ePoUlLjHDVj+oiMD9P8EwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIhAJcnQ3L2kc0MMLHKnoWEhVTTkXy8mRnv29LBMqmSt1GBAiAu
7H/9p41zIGs6u7Aq3hwFLQ1mqCeoZ5ty1GPJq0jc3Q==
-----END CERTIFICATE-----
`;

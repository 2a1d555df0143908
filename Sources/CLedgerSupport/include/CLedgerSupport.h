#ifndef CAMPAIGN_LEDGER_SUPPORT_H
#define CAMPAIGN_LEDGER_SUPPORT_H

// The C the library needs that no Swift module declares.

#include <stddef.h>
#include <stdint.h>

// One-shot SHA-256 of `len` bytes into `out` (32 bytes); returns `out`.
//
// This is BoringSSL's `SHA256`, which swift-crypto vendors with every symbol prefixed
// `CCryptoBoringSSL_` and links into every program that uses its `Crypto` product (this package
// does) on the platforms where it builds BoringSSL: not on Apple platforms, where `Crypto` is
// CryptoKit, so the declaration is left out there and `SHA256Digest` uses `SHA256.hash(data:)`. `Crypto.SHA256` allocates, zeroes and frees a context object per digest; the ledger
// hashes short inputs once or more per event (the hash chain, address digests, derived ids) and
// a rebuild every record it writes (the build's fingerprint, docs/format.md), where that
// overhead was twice the hashing itself. `SHA256Digest` (Swift) is the one caller. The symbol is
// resolved at link time, so a swift-crypto that renamed it fails the build, not a run;
// FingerprintTests compare the digests with `Crypto.SHA256`'s.
#if !defined(__APPLE__)
uint8_t *CCryptoBoringSSL_SHA256(const uint8_t *data, size_t len, uint8_t out[32]);
#endif

#endif

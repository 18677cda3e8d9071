/*  identity_seal.h — the customer's identity encrypted at rest, and the
 *  keyed hashes that find or check a secret without decrypting anything
 *  (issue 13; docs/security.md, "Identity at rest" and "Status view").
 *
 *  The one place of this crypto: intake seals at submit and opens for the
 *  staff view, the notifier opens to deliver, intake --seal-identity seals
 *  the rows of an older store. Everything is libsodium.
 *
 *  Keys. A file outside the database (--identity-key-file, or
 *  COMPLAINTS_IDENTITY_KEY_FILE), a regular file of mode 0600 — refused
 *  when its group or others may read or write it, as the notifier's secret
 *  files are. One key a line, "ID HEX": ID 1..255, HEX 64 hex digits (32
 *  random bytes); blank lines and lines starting with '#' are skipped. The
 *  first key is the current one: it seals and hashes. Every key opens, so
 *  a key can rotate: put a new first line, restart, run
 *  `intake --seal-identity --reseal` (re-seals and re-hashes every row
 *  under the current key), then drop the old line. Each key gives three
 *  subkeys (crypto_kdf, context "cmplntid"): one seals, one makes lookup
 *  hashes, one hashes query codes, so no key is used for two jobs.
 *
 *  A sealed value: [key id][24-byte nonce][XChaCha20-Poly1305 ciphertext
 *  and its 16-byte tag] (crypto_aead_xchacha20poly1305_ietf; a random
 *  nonce is safe at 192 bits). The associated data is the complaint's
 *  number and the purpose ("202612050000013/customer"), so a value copied
 *  into another row, or into another column, does not open.
 *
 *  A keyed hash: [key id][32-byte BLAKE2b (crypto_generichash) keyed with
 *  the purpose's subkey]. Identifiers are hashed as privacy_normalise
 *  writes them ("tel:13912345678"), so the same phone written two ways
 *  finds the same rows; a query code as its 10 canonical characters.
 *  Comparison is constant-time (sodium_memcmp).
 *
 *  Interface:
 *      identity_seal_load / _from_text / _destroy   the keys
 *      identity_seal_seal / _open                    any bytes, with a purpose
 *      identity_seal_customer / identity_open_customer
 *                                                    the five identity fields
 *                                                    as one sealed msgpack map
 *      identity_seal_lookup                          keyed hash of an identifier
 *      identity_seal_hash / _hash_match              keyed hash of a secret,
 *                                                    and its constant-time check
 *      identity_seal_test                            self-test
 */
#ifndef IDENTITY_SEAL_H_INCLUDED
#define IDENTITY_SEAL_H_INCLUDED

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "request.h"

#define IDENTITY_KEY_ENV        "COMPLAINTS_IDENTITY_KEY_FILE"
#define IDENTITY_KEY_FLAG       "--identity-key-file"
#define IDENTITY_SEAL_OVERHEAD  (1 + 24 + 16)   /* key id, nonce, tag */
#define IDENTITY_HASH_SIZE      33              /* key id, 32-byte hash */
#define IDENTITY_MAX_KEYS       16
#define IDENTITY_AD_MAX         64              /* "<complaint_no>/<purpose>" */

/* What a sealed value is, in its associated data: the query code's copy
 * (intake seals, the notifier opens for the receipt). */
#define IDENTITY_PURPOSE_QUERY_CODE "query_code"
/* A customer's notification (the notifier seals its address and message;
 * intake opens them for the case file, services/intake/case_file.c). */
#define IDENTITY_PURPOSE_NOTIFY_ADDRESS "address"
#define IDENTITY_PURPOSE_NOTIFY_BODY    "message"

/* The purposes: each seals or hashes under its own subkey. */
#define IDENTITY_HASH_LOOKUP    1
#define IDENTITY_HASH_QUERY     2

typedef struct identity_seal_t identity_seal_t;

/* The customer's identity, opened: each field malloc'd, NULL when absent. */
typedef struct {
    char *name, *phone, *email, *account, *id_no;
} identity_t;

/* The keys of the file at path (mode 0600, see above). NULL with the
 * reason in why when the path is empty, the file unreadable, readable by
 * group or others, or not one key a line. */
identity_seal_t *identity_seal_load (const char *path, char *why, size_t why_size);
/* The same from the file's text (self-tests). */
identity_seal_t *identity_seal_from_text (const char *text, char *why, size_t why_size);
void identity_seal_destroy (identity_seal_t **self_p);
/* The current key's id. */
int identity_seal_key_id (const identity_seal_t *self);

/* Seal len bytes into out (len + IDENTITY_SEAL_OVERHEAD bytes) for the
 * complaint and purpose. 0, -1 (an AD too long). */
int identity_seal_seal (const identity_seal_t *self, const void *plain, size_t len,
                        const char *complaint_no, const char *purpose, unsigned char *out);
/* Open a sealed value into out (at least len - IDENTITY_SEAL_OVERHEAD
 * bytes); -1 when it does not open (unknown key, wrong complaint or
 * purpose, tampered, too short). */
int identity_seal_open (const identity_seal_t *self, const unsigned char *sealed, size_t len,
                        const char *complaint_no, const char *purpose, unsigned char *out,
                        size_t *out_len);

/* A sealed column as a text result gives it (encode (col, 'hex')): its
 * bytes, malloc'd (the caller frees), *len set; NULL when the text is
 * empty (nothing sealed) or not hex. */
unsigned char *identity_sealed_from_hex (const char *hex, size_t *len);

/* The customer's five fields as one sealed msgpack map, appended to out
 * (which is cleared first). Nothing is written (out->size 0) when the
 * customer gave no identifier at all. 0, -1. */
int identity_seal_customer (const identity_seal_t *self, const customer_t *customer,
                            const char *complaint_no, msgpack_sbuffer *out);
/* Open what identity_seal_customer wrote; the fields are the caller's to
 * free with identity_clear. 0, -1 (does not open or not a map). */
int identity_open_customer (const identity_seal_t *self, const unsigned char *sealed,
                            size_t len, const char *complaint_no, identity_t *out);
/* Wipe and free the fields; safe on a zeroed or cleared identity. */
void identity_clear (identity_t *identity);

/* A sealed value as text, for a text column of another owner (the
 * notifier's notification.address): IDENTITY_TEXT_PREFIX, then the sealed
 * bytes in base64. malloc'd; NULL when it could not be sealed. */
#define IDENTITY_TEXT_PREFIX "sealed:"
char *identity_seal_text (const identity_seal_t *self, const char *plain,
                          const char *complaint_no, const char *purpose);
/* The plaintext of such a text, malloc'd. A text without the prefix is not
 * sealed (a member of staff's address): returned as a copy. NULL when a
 * sealed text does not open. */
char *identity_open_text (const identity_seal_t *self, const char *text,
                          const char *complaint_no, const char *purpose);

/* The lookup hash of an identifier of kind ("id", "acct", "tel", "mail",
 * "name"; privacy_normalise) under the current key. */
void identity_seal_lookup (const identity_seal_t *self, const char *kind, proto_str_t value,
                           unsigned char out [IDENTITY_HASH_SIZE]);
/* A secret's keyed hash (purpose IDENTITY_HASH_QUERY) under the current
 * key; and whether `stored` is that hash of data under the key it names
 * (constant-time in the data). */
void identity_seal_hash (const identity_seal_t *self, int purpose, const void *data, size_t len,
                         unsigned char out [IDENTITY_HASH_SIZE]);
bool identity_seal_hash_match (const identity_seal_t *self, int purpose, const void *data,
                               size_t len, const unsigned char *stored, size_t stored_len);

void identity_seal_test (bool verbose);

#endif

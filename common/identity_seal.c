/*  identity_seal.c — sealing, opening and keyed hashes of customer
 *  identity (see identity_seal.h for the formats and the key file).
 *
 *  Why XChaCha20-Poly1305 with a random nonce: rows are sealed by any
 *  number of intake processes with no shared counter; a 192-bit random
 *  nonce never repeats in practice, where a 96-bit one would need care.
 *  Why the complaint number in the associated data: whoever can write the
 *  table (not the key) could otherwise move one customer's sealed identity
 *  into another case and have it delivered or shown there.
 *
 *  Why a keyed hash and not SHA-256 for the query code: the code has 50
 *  bits; a bare hash in a stolen dump would be searched exhaustively in
 *  hours. With the key outside the database the dump alone gives nothing.
 *
 *  Keys live in sodium_malloc'd memory (guard pages, locked when the
 *  system allows, wiped when freed).
 */
#include "identity_seal.h"
#include "privacy.h"
#include "proto.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_KDF_CONTEXT  "cmplntid"       /* crypto_kdf: exactly 8 characters */
#define S_SUB_SEAL     1
#define S_KEY_BYTES    32
#define S_NONCE_BYTES  crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define S_TAG_BYTES    crypto_aead_xchacha20poly1305_ietf_ABYTES
#define S_FILE_MAX     8192

typedef struct {
    uint8_t id;
    unsigned char seal [S_KEY_BYTES];     /* AEAD key */
    unsigned char lookup [S_KEY_BYTES];   /* identifier hashes */
    unsigned char query [S_KEY_BYTES];    /* query-code hashes */
} s_key_t;

struct identity_seal_t {
    size_t nkeys;
    s_key_t *keys;                      /* sodium_malloc'd; keys [0] current */
};

static void
s_why (char *why, size_t size, const char *format, ...)
{
    if (!why || !size)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (why, size, format, args);
    va_end (args);
}

static const s_key_t *
s_key_by_id (const identity_seal_t *self, uint8_t id)
{
    for (size_t i = 0; i < self->nkeys; i++)
        if (self->keys [i].id == id)
            return &self->keys [i];
    return NULL;
}

identity_seal_t *
identity_seal_from_text (const char *text, char *why, size_t why_size)
{
    if (sodium_init () < 0) {
        s_why (why, why_size, "libsodium did not initialise");
        return NULL;
    }
    identity_seal_t *self = calloc (1, sizeof *self);
    assert (self);
    self->keys = sodium_malloc (IDENTITY_MAX_KEYS * sizeof *self->keys);
    assert (self->keys);
    int line_no = 0;
    const char *p = text;
    while (*p) {
        const char *end = p + strcspn (p, "\n");
        line_no++;
        char line [200];
        size_t len = (size_t) (end - p);
        if (len >= sizeof line) {
            s_why (why, why_size, "line %d is too long", line_no);
            goto fail;
        }
        memcpy (line, p, len);
        line [len] = 0;
        p = *end ? end + 1 : end;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        s [strcspn (s, "\r")] = 0;
        if (!*s || *s == '#')
            continue;
        char *after = NULL;
        long id = strtol (s, &after, 10);
        if (after == s || id < 1 || id > 255 || (*after != ' ' && *after != '\t')) {
            s_why (why, why_size, "line %d: expected \"ID HEX\" with ID 1..255", line_no);
            goto fail;
        }
        while (*after == ' ' || *after == '\t')
            after++;
        unsigned char raw [S_KEY_BYTES];
        size_t raw_len = 0;
        const char *hex_end = NULL;
        if (sodium_hex2bin (raw, sizeof raw, after, strlen (after), " \t", &raw_len, &hex_end)
        ||  raw_len != S_KEY_BYTES || *hex_end) {
            sodium_memzero (raw, sizeof raw);
            s_why (why, why_size, "line %d: the key must be 64 hex digits (32 bytes)", line_no);
            goto fail;
        }
        if (s_key_by_id (self, (uint8_t) id)) {
            sodium_memzero (raw, sizeof raw);
            s_why (why, why_size, "line %d: key id %ld twice", line_no, id);
            goto fail;
        }
        if (self->nkeys == IDENTITY_MAX_KEYS) {
            sodium_memzero (raw, sizeof raw);
            s_why (why, why_size, "more than %d keys", IDENTITY_MAX_KEYS);
            goto fail;
        }
        s_key_t *key = &self->keys [self->nkeys++];
        key->id = (uint8_t) id;
        crypto_kdf_derive_from_key (key->seal, S_KEY_BYTES, S_SUB_SEAL, S_KDF_CONTEXT, raw);
        crypto_kdf_derive_from_key (key->lookup, S_KEY_BYTES, 1 + IDENTITY_HASH_LOOKUP,
                                    S_KDF_CONTEXT, raw);
        crypto_kdf_derive_from_key (key->query, S_KEY_BYTES, 1 + IDENTITY_HASH_QUERY,
                                    S_KDF_CONTEXT, raw);
        sodium_memzero (raw, sizeof raw);
    }
    if (self->nkeys == 0) {
        s_why (why, why_size, "no key in it (one \"ID HEX\" a line)");
        goto fail;
    }
    sodium_mprotect_readonly (self->keys);
    return self;
fail:
    identity_seal_destroy (&self);
    return NULL;
}

identity_seal_t *
identity_seal_load (const char *path, char *why, size_t why_size)
{
    if (sodium_init () < 0) {
        s_why (why, why_size, "libsodium did not initialise");
        return NULL;
    }
    if (!path || !*path) {
        s_why (why, why_size, "no key file given (" IDENTITY_KEY_FLAG " FILE or "
               IDENTITY_KEY_ENV ")");
        return NULL;
    }
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat (fd, &st)) {
        s_why (why, why_size, "cannot read %s: %s", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    if (!S_ISREG (st.st_mode) || (st.st_mode & 077)) {
        s_why (why, why_size, "%s has mode %04o: it must be a regular file that only its"
               " owner can read (chmod 600 %s)", path, (unsigned) (st.st_mode & 07777), path);
        close (fd);
        return NULL;
    }
    char *text = sodium_malloc (S_FILE_MAX + 1);
    assert (text);
    ssize_t n = read (fd, text, S_FILE_MAX + 1);
    close (fd);
    identity_seal_t *self = NULL;
    if (n < 0)
        s_why (why, why_size, "cannot read %s: %s", path, strerror (errno));
    else
    if (n > S_FILE_MAX)
        s_why (why, why_size, "%s is over %d bytes", path, S_FILE_MAX);
    else {
        text [n] = 0;
        char inner [200];
        self = identity_seal_from_text (text, inner, sizeof inner);
        if (!self)
            s_why (why, why_size, "%s: %s", path, inner);
    }
    sodium_free (text);         /* wiped */
    return self;
}

void
identity_seal_destroy (identity_seal_t **self_p)
{
    assert (self_p);
    identity_seal_t *self = *self_p;
    if (!self)
        return;
    sodium_free (self->keys);
    free (self);
    *self_p = NULL;
}

int
identity_seal_key_id (const identity_seal_t *self)
{
    assert (self);
    return self->keys [0].id;
}

static int
s_ad (char ad [IDENTITY_AD_MAX], const char *complaint_no, const char *purpose)
{
    int n = snprintf (ad, IDENTITY_AD_MAX, "%s/%s", complaint_no, purpose);
    return n < 0 || n >= IDENTITY_AD_MAX ? -1 : n;
}

int
identity_seal_seal (const identity_seal_t *self, const void *plain, size_t len,
                    const char *complaint_no, const char *purpose, unsigned char *out)
{
    assert (self && complaint_no && purpose && out);
    char ad [IDENTITY_AD_MAX];
    int ad_len = s_ad (ad, complaint_no, purpose);
    if (ad_len < 0)
        return -1;
    const s_key_t *key = &self->keys [0];
    out [0] = key->id;
    randombytes_buf (out + 1, S_NONCE_BYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt (out + 1 + S_NONCE_BYTES, NULL,
        (const unsigned char *) plain, len, (const unsigned char *) ad, (size_t) ad_len,
        NULL, out + 1, key->seal);
    return 0;
}

unsigned char *
identity_sealed_from_hex (const char *hex, size_t *len)
{
    assert (hex && len);
    size_t hex_len = strlen (hex);
    *len = 0;
    if (!hex_len)
        return NULL;
    unsigned char *bin = malloc (hex_len / 2 + 1);
    assert (bin);
    if (sodium_hex2bin (bin, hex_len / 2 + 1, hex, hex_len, NULL, len, NULL)) {
        free (bin);
        *len = 0;
        return NULL;
    }
    return bin;
}

int
identity_seal_open (const identity_seal_t *self, const unsigned char *sealed, size_t len,
                    const char *complaint_no, const char *purpose, unsigned char *out,
                    size_t *out_len)
{
    assert (self && complaint_no && purpose && out);
    char ad [IDENTITY_AD_MAX];
    int ad_len = s_ad (ad, complaint_no, purpose);
    if (!sealed || len < IDENTITY_SEAL_OVERHEAD || ad_len < 0)
        return -1;
    const s_key_t *key = s_key_by_id (self, sealed [0]);
    if (!key)
        return -1;
    unsigned long long plain_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt (out, &plain_len, NULL,
            sealed + 1 + S_NONCE_BYTES, len - 1 - S_NONCE_BYTES,
            (const unsigned char *) ad, (size_t) ad_len, sealed + 1, key->seal))
        return -1;
    if (out_len)
        *out_len = (size_t) plain_len;
    return 0;
}

/* ---------------------------------------------------------------- customer */

static const char *s_fields [] = { "name", "phone", "email", "account", "id_no" };
#define S_NFIELDS 5
#define S_PURPOSE_CUSTOMER "customer"

int
identity_seal_customer (const identity_seal_t *self, const customer_t *customer,
                        const char *complaint_no, msgpack_sbuffer *out)
{
    assert (self && customer && out);
    msgpack_sbuffer_clear (out);
    const proto_str_t values [S_NFIELDS] = {
        customer->name, customer->phone, customer->email, customer->account, customer->id_no
    };
    size_t present = 0;
    for (int i = 0; i < S_NFIELDS; i++)
        present += values [i].ptr && values [i].len;
    if (present == 0)
        return 0;
    msgpack_sbuffer plain;
    msgpack_sbuffer_init (&plain);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &plain, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, present);
    for (int i = 0; i < S_NFIELDS; i++)
        if (values [i].ptr && values [i].len) {
            proto_pack_cstr (&pk, s_fields [i]);
            proto_pack_strn (&pk, values [i].ptr, values [i].len);
        }
    /* room for the sealed value, then seal straight into the buffer */
    size_t sealed_len = plain.size + IDENTITY_SEAL_OVERHEAD;
    unsigned char *sealed = malloc (sealed_len);
    assert (sealed);
    int rc = identity_seal_seal (self, plain.data, plain.size, complaint_no,
                                 S_PURPOSE_CUSTOMER, sealed);
    if (rc == 0)
        msgpack_sbuffer_write (out, (const char *) sealed, sealed_len);
    sodium_memzero (plain.data, plain.size);
    msgpack_sbuffer_destroy (&plain);
    free (sealed);
    return rc;
}

int
identity_open_customer (const identity_seal_t *self, const unsigned char *sealed, size_t len,
                        const char *complaint_no, identity_t *out)
{
    assert (self && out);
    memset (out, 0, sizeof *out);
    if (len < IDENTITY_SEAL_OVERHEAD)
        return -1;
    size_t plain_len = 0;
    unsigned char *plain = malloc (len);
    assert (plain);
    int rc = identity_seal_open (self, sealed, len, complaint_no, S_PURPOSE_CUSTOMER, plain,
                                 &plain_len);
    msgpack_unpacked obj;
    msgpack_unpacked_init (&obj);
    if (rc == 0
    &&  (msgpack_unpack_next (&obj, (const char *) plain, plain_len, NULL)
            != MSGPACK_UNPACK_SUCCESS || obj.data.type != MSGPACK_OBJECT_MAP))
        rc = -1;
    char **slots [S_NFIELDS] = { &out->name, &out->phone, &out->email, &out->account,
                                 &out->id_no };
    for (uint32_t i = 0; rc == 0 && i < obj.data.via.map.size; i++) {
        const msgpack_object *k = &obj.data.via.map.ptr [i].key;
        const msgpack_object *v = &obj.data.via.map.ptr [i].val;
        if (k->type != MSGPACK_OBJECT_STR || v->type != MSGPACK_OBJECT_STR)
            continue;
        for (int f = 0; f < S_NFIELDS; f++)
            if (k->via.str.size == strlen (s_fields [f])
            &&  memcmp (k->via.str.ptr, s_fields [f], k->via.str.size) == 0 && !*slots [f]) {
                *slots [f] = strndup (v->via.str.ptr, v->via.str.size);
                assert (*slots [f]);
            }
    }
    msgpack_unpacked_destroy (&obj);
    sodium_memzero (plain, len);
    free (plain);
    if (rc)
        identity_clear (out);
    return rc;
}

void
identity_clear (identity_t *identity)
{
    if (!identity)
        return;
    char **slots [S_NFIELDS] = { &identity->name, &identity->phone, &identity->email,
                                 &identity->account, &identity->id_no };
    for (int f = 0; f < S_NFIELDS; f++)
        if (*slots [f]) {
            sodium_memzero (*slots [f], strlen (*slots [f]));
            free (*slots [f]);
            *slots [f] = NULL;
        }
}

/* -------------------------------------------------------------------- text */

char *
identity_seal_text (const identity_seal_t *self, const char *plain, const char *complaint_no,
                    const char *purpose)
{
    assert (self && plain);
    size_t len = strlen (plain), sealed_len = len + IDENTITY_SEAL_OVERHEAD;
    unsigned char *sealed = malloc (sealed_len);
    assert (sealed);
    char *text = NULL;
    if (identity_seal_seal (self, plain, len, complaint_no, purpose, sealed) == 0) {
        size_t prefix = strlen (IDENTITY_TEXT_PREFIX);
        size_t b64 = sodium_base64_ENCODED_LEN (sealed_len, sodium_base64_VARIANT_ORIGINAL);
        text = malloc (prefix + b64);
        assert (text);
        memcpy (text, IDENTITY_TEXT_PREFIX, prefix);
        sodium_bin2base64 (text + prefix, b64, sealed, sealed_len,
                           sodium_base64_VARIANT_ORIGINAL);
    }
    free (sealed);
    return text;
}

char *
identity_open_text (const identity_seal_t *self, const char *text, const char *complaint_no,
                    const char *purpose)
{
    assert (self && text);
    size_t prefix = strlen (IDENTITY_TEXT_PREFIX);
    if (strncmp (text, IDENTITY_TEXT_PREFIX, prefix) != 0) {
        char *copy = strdup (text);
        assert (copy);
        return copy;
    }
    size_t b64_len = strlen (text + prefix);
    unsigned char *sealed = malloc (b64_len + 1);
    assert (sealed);
    size_t sealed_len = 0;
    char *plain = NULL;
    if (sodium_base642bin (sealed, b64_len + 1, text + prefix, b64_len, NULL, &sealed_len,
                           NULL, sodium_base64_VARIANT_ORIGINAL) == 0
    &&  sealed_len >= IDENTITY_SEAL_OVERHEAD) {
        plain = malloc (sealed_len - IDENTITY_SEAL_OVERHEAD + 1);
        assert (plain);
        size_t plain_len = 0;
        if (identity_seal_open (self, sealed, sealed_len, complaint_no, purpose,
                                (unsigned char *) plain, &plain_len) == 0)
            plain [plain_len] = 0;
        else {
            free (plain);
            plain = NULL;
        }
    }
    free (sealed);
    return plain;
}

/* ------------------------------------------------------------------ hashes */

static void
s_hash_with (const s_key_t *key, int purpose, const void *data, size_t len,
             unsigned char out [IDENTITY_HASH_SIZE])
{
    out [0] = key->id;
    crypto_generichash (out + 1, IDENTITY_HASH_SIZE - 1, (const unsigned char *) data, len,
                        purpose == IDENTITY_HASH_LOOKUP ? key->lookup : key->query,
                        S_KEY_BYTES);
}

void
identity_seal_hash (const identity_seal_t *self, int purpose, const void *data, size_t len,
                    unsigned char out [IDENTITY_HASH_SIZE])
{
    assert (self);
    s_hash_with (&self->keys [0], purpose, data, len, out);
}

bool
identity_seal_hash_match (const identity_seal_t *self, int purpose, const void *data,
                          size_t len, const unsigned char *stored, size_t stored_len)
{
    assert (self);
    if (!stored || stored_len != IDENTITY_HASH_SIZE)
        return false;
    const s_key_t *key = s_key_by_id (self, stored [0]);
    if (!key)
        return false;
    unsigned char mine [IDENTITY_HASH_SIZE];
    s_hash_with (key, purpose, data, len, mine);
    return sodium_memcmp (mine, stored, IDENTITY_HASH_SIZE) == 0;
}

void
identity_seal_lookup (const identity_seal_t *self, const char *kind, proto_str_t value,
                      unsigned char out [IDENTITY_HASH_SIZE])
{
    char norm [512];
    size_t n = privacy_normalise (kind, value, norm, sizeof norm);
    identity_seal_hash (self, IDENTITY_HASH_LOOKUP, norm, n, out);
    sodium_memzero (norm, sizeof norm);
}

//  --------------------------------------------------------------------------
//  Self-test

#include "selftest.h"

void
identity_seal_test (bool verbose)
{
    if (verbose)
        printf (" * identity_seal: ");
    char why [300];
    /* a sealed column's hex text */
    size_t hex_len = 99;
    assert (identity_sealed_from_hex ("", &hex_len) == NULL && hex_len == 0);
    assert (identity_sealed_from_hex ("0g", &hex_len) == NULL && hex_len == 0);
    unsigned char *bytes = identity_sealed_from_hex ("01ff", &hex_len);
    assert (bytes && hex_len == 2 && bytes [0] == 1 && bytes [1] == 0xff);
    free (bytes);
    /* bad files */
    assert (!identity_seal_from_text ("", why, sizeof why));
    assert (!identity_seal_from_text ("1 abcd\n", why, sizeof why));
    assert (!identity_seal_from_text ("0 " "00112233445566778899aabbccddeeff"
                                      "00112233445566778899aabbccddeeff\n", why, sizeof why));
    assert (!identity_seal_from_text (
        "1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
        "1 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n",
        why, sizeof why));
    assert (strstr (why, "twice"));
    assert (!identity_seal_load ("", why, sizeof why));
    assert (strstr (why, IDENTITY_KEY_FLAG));

    identity_seal_t *old = identity_seal_from_text (
        "# the first key\n"
        "1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", why, sizeof why);
    assert (old);
    identity_seal_t *rotated = identity_seal_from_text (
        "2 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n"
        "1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", why, sizeof why);
    assert (rotated);
    assert (identity_seal_key_id (old) == 1 && identity_seal_key_id (rotated) == 2);

    /* seal, open; wrong complaint, purpose, key, a flipped bit: no */
    const char *plain = "13912345678";
    unsigned char sealed [64], out [64];
    size_t out_len = 0;
    assert (identity_seal_seal (old, plain, strlen (plain), "202612050000013", "x", sealed) == 0);
    size_t sealed_len = strlen (plain) + IDENTITY_SEAL_OVERHEAD;
    assert (sealed [0] == 1);
    assert (!memmem (sealed, sealed_len, plain, strlen (plain)));
    assert (identity_seal_open (old, sealed, sealed_len, "202612050000013", "x", out,
                                &out_len) == 0);
    assert (out_len == strlen (plain) && memcmp (out, plain, out_len) == 0);
    assert (identity_seal_open (old, sealed, sealed_len, "202612050000024", "x", out, NULL));
    assert (identity_seal_open (old, sealed, sealed_len, "202612050000013", "y", out, NULL));
    /* the rotated file still opens what the old key sealed */
    assert (identity_seal_open (rotated, sealed, sealed_len, "202612050000013", "x", out,
                                NULL) == 0);
    sealed [sealed_len - 1] ^= 1;
    assert (identity_seal_open (old, sealed, sealed_len, "202612050000013", "x", out, NULL));
    assert (identity_seal_open (old, sealed, 10, "202612050000013", "x", out, NULL));
    /* two seals of one value differ (random nonce) */
    unsigned char a [64], b [64];
    identity_seal_seal (old, plain, strlen (plain), "n", "x", a);
    identity_seal_seal (old, plain, strlen (plain), "n", "x", b);
    assert (memcmp (a, b, sealed_len) != 0);

    /* the customer */
    customer_t customer = {
        .name = { "张三", strlen ("张三") }, .phone = { "139 1234 5678", 13 },
        .email = { "Zhang@Example.com", 17 }, .account = { NULL, 0 },
        .id_no = { "11010519491231002X", 18 },
    };
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    assert (identity_seal_customer (rotated, &customer, "202612050000013", &buf) == 0);
    assert (buf.size > IDENTITY_SEAL_OVERHEAD);
    assert (!memmem (buf.data, buf.size, "1234", 4) && !memmem (buf.data, buf.size, "Zhang", 5));
    identity_t id;
    assert (identity_open_customer (old, (unsigned char *) buf.data, buf.size,
                                    "202612050000013", &id) == -1);     /* key 2 unknown */
    assert (identity_open_customer (rotated, (unsigned char *) buf.data, buf.size,
                                    "202612050000013", &id) == 0);
    assert (!strcmp (id.name, "张三") && !strcmp (id.phone, "139 1234 5678"));
    assert (!strcmp (id.email, "Zhang@Example.com") && !id.account);
    assert (!strcmp (id.id_no, "11010519491231002X"));
    identity_clear (&id);
    assert (!id.name && !id.id_no);
    identity_clear (&id);
    customer_t nobody = { { NULL, 0 }, { "", 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
    assert (identity_seal_customer (rotated, &nobody, "202612050000013", &buf) == 0);
    assert (buf.size == 0);
    msgpack_sbuffer_destroy (&buf);

    /* text form, for another owner's text column */
    char *text = identity_seal_text (old, "wang@example.com", "202612050000013", "address");
    assert (text && !strncmp (text, IDENTITY_TEXT_PREFIX, strlen (IDENTITY_TEXT_PREFIX)));
    assert (!strstr (text, "wang"));
    char *back = identity_open_text (rotated, text, "202612050000013", "address");
    assert (back && !strcmp (back, "wang@example.com"));
    free (back);
    assert (!identity_open_text (old, text, "202612050000024", "address"));
    back = identity_open_text (old, "li.na@bank.example", "202612050000013", "address");
    assert (back && !strcmp (back, "li.na@bank.example"));      /* not sealed: as is */
    free (back);
    free (text);

    /* lookup hashes: the normalised identifier, keyed; the key id first */
    unsigned char h1 [IDENTITY_HASH_SIZE], h2 [IDENTITY_HASH_SIZE], h3 [IDENTITY_HASH_SIZE];
    identity_seal_lookup (old, "tel", (proto_str_t) { "139 1234 5678", 13 }, h1);
    identity_seal_lookup (old, "tel", (proto_str_t) { "+86 13912345678", 15 }, h2);
    identity_seal_lookup (rotated, "tel", (proto_str_t) { "13912345678", 11 }, h3);
    assert (h1 [0] == 1 && memcmp (h1, h2, IDENTITY_HASH_SIZE) == 0);
    assert (h3 [0] == 2 && memcmp (h1 + 1, h3 + 1, IDENTITY_HASH_SIZE - 1) != 0);
    /* a query code: the right one matches under the key it names, nothing else */
    unsigned char q [IDENTITY_HASH_SIZE];
    identity_seal_hash (old, IDENTITY_HASH_QUERY, "ABCDE12345", 10, q);
    assert (identity_seal_hash_match (old, IDENTITY_HASH_QUERY, "ABCDE12345", 10, q, sizeof q));
    assert (identity_seal_hash_match (rotated, IDENTITY_HASH_QUERY, "ABCDE12345", 10, q, sizeof q));
    assert (!identity_seal_hash_match (old, IDENTITY_HASH_QUERY, "ABCDE12346", 10, q, sizeof q));
    assert (!identity_seal_hash_match (old, IDENTITY_HASH_LOOKUP, "ABCDE12345", 10, q, sizeof q));
    assert (!identity_seal_hash_match (old, IDENTITY_HASH_QUERY, "ABCDE12345", 10, q, 32));
    assert (!identity_seal_hash_match (old, IDENTITY_HASH_QUERY, "ABCDE12345", 10, NULL, 0));

    identity_seal_destroy (&old);
    identity_seal_destroy (&rotated);
    identity_seal_destroy (&rotated);
    assert (!rotated);
    if (verbose)
        printf ("OK\n");
}

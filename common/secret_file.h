/*  secret_file.h — a secret read from a file only its owner may read: a
 *  password, a gateway's Authorization value, a staff token a daemon acts
 *  under. Never from the command line (ps shows it to everyone).
 *
 *  The file must be a regular file no one but its owner can read or write
 *  (mode 0600 or stricter, as ssh demands of a key); its first line is the
 *  secret, the newline after it dropped; an empty one is refused. The
 *  caller wipes the buffer when done (sodium_memzero).
 *
 *  Interface:
 *      secret_file_read    0 with the secret, or -1 with the reason
 *      secret_file_test
 */
#ifndef SECRET_FILE_H_INCLUDED
#define SECRET_FILE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

/* what: the secret's name for the reason ("SMTP password"). */
int secret_file_read (const char *what, const char *path, char *secret, size_t size,
                      char *why, size_t why_size);

void secret_file_test (bool verbose);

#endif

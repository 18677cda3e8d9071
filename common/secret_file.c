/*  secret_file.c — a secret from an owner-only file (see secret_file.h).
 *
 *  fstat on the descriptor opened, not stat on the name: the mode checked is
 *  the mode of the file read, even if the name is swapped in between.
 */
#include "secret_file.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
secret_file_read (const char *what, const char *path, char *secret, size_t size, char *why,
                  size_t why_size)
{
    assert (what && path && secret && size > 1 && why);
    *secret = 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat (fd, &st)) {
        snprintf (why, why_size, "cannot read the %s file %s: %s", what, path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    if (!S_ISREG (st.st_mode) || (st.st_mode & 077)) {
        snprintf (why, why_size, "the %s file %s has mode %04o: it must be a regular file"
                  " that only its owner can read (chmod 600 %s)", what, path,
                  (unsigned) (st.st_mode & 07777), path);
        close (fd);
        return -1;
    }
    ssize_t n = read (fd, secret, size - 1);
    close (fd);
    if (n < 0 || (size_t) n == size - 1) {
        snprintf (why, why_size, "the %s file %s: %s", what, path,
                  n < 0 ? strerror (errno) : "too long");
        *secret = 0;
        return -1;
    }
    secret [n] = 0;
    secret [strcspn (secret, "\r\n")] = 0;
    if (!*secret) {
        snprintf (why, why_size, "the %s file %s is empty", what, path);
        return -1;
    }
    return 0;
}

#include "selftest.h"

void
secret_file_test (bool verbose)
{
    if (verbose)
        printf (" * secret_file: ");
    char path [] = "/tmp/secret_file_test.XXXXXX";
    int fd = mkstemp (path);
    assert (fd >= 0);
    assert (write (fd, "s3cret\nsecond line\n", 19) == 19);
    close (fd);
    char secret [32], why [256];
    assert (secret_file_read ("test", path, secret, sizeof secret, why, sizeof why) == 0);
    assert (strcmp (secret, "s3cret") == 0);
    assert (chmod (path, 0640) == 0);
    assert (secret_file_read ("test", path, secret, sizeof secret, why, sizeof why) == -1);
    assert (strstr (why, "chmod 600") && !*secret);
    assert (chmod (path, 0600) == 0);
    char tiny [4];
    assert (secret_file_read ("test", path, tiny, sizeof tiny, why, sizeof why) == -1);
    assert (strstr (why, "too long"));
    fd = open (path, O_WRONLY | O_TRUNC);
    assert (fd >= 0 && write (fd, "\n", 1) == 1);
    close (fd);
    assert (secret_file_read ("test", path, secret, sizeof secret, why, sizeof why) == -1);
    assert (strstr (why, "empty"));
    unlink (path);
    assert (secret_file_read ("test", path, secret, sizeof secret, why, sizeof why) == -1);
    assert (strstr (why, "cannot read"));
    if (verbose)
        printf ("OK\n");
}

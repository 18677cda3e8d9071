/*  selftest.h — include right before a file's self-test code.
 *
 *  Self-tests are czmq style: foo_test () lives at the end of foo.c and
 *  checks with assert (). A packager's build defines NDEBUG, which would turn
 *  every check into nothing (and leave variables only the checks read
 *  unused). C re-defines assert each time <assert.h> is included, following
 *  NDEBUG at that point (C11 7.2), so undefining it here keeps the checks of
 *  the code below — the self-test — while the production code above this
 *  line keeps the build's own setting. No include guard, on purpose.
 */
#undef NDEBUG
#include <assert.h>

/* Both public headers compile on their own as strict C11 (-std=c11
 * -Wpedantic -Werror, see tests/CMakeLists.txt), and the program links against
 * the shared library. */
#include <nncl/nncl.h>
#include <nncl/nncl_cl.h>

int main(void)
{
    nncl_cl_sync sync = {0, NULL, NULL};
    (void)sync;
    return nncl_version() == NNCL_VERSION ? 0 : 1;
}

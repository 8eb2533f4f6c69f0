/* SPDX-License-Identifier: MIT */
/* Both public headers compile on their own as strict C11 (-std=c11
 * -Wpedantic -Werror, see tests/CMakeLists.txt), and the program links against
 * the shared library. */
#include <nncl/nncl.h>
#include <nncl/nncl_cl.h>

int main(void)
{
    nncl_cl_sync sync = {.num_events = 0, .wait_list = NULL, .event = NULL};
    (void)sync;
    nncl_epoch_options eo = nncl_epoch_options_defaults();
    return nncl_version() == NNCL_VERSION && eo.size == sizeof eo ? 0 : 1;
}

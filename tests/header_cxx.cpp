/* SPDX-License-Identifier: MIT */
// Both public headers compile as C++17 (-Wall -Wextra -Wpedantic -Werror,
// see tests/CMakeLists.txt): extern "C", no C-only constructs. The program
// links against the shared library and checks the version it got.
#include <nncl/nncl.h>
#include <nncl/nncl_cl.h>

int main()
{
    // C++17 has no designated initialisers: start from the defaults.
    nncl_cl_sync sync = nncl_cl_sync_defaults();
    sync.num_events = 0;
    nncl_status (*gemm)(nncl_context *, int, int, float, const nncl_tensor *, const nncl_tensor *,
                        float, nncl_tensor *, const nncl_tensor *, nncl_activation,
                        const nncl_cl_sync *) = nncl_cl_gemm;
    static_cast<void>(gemm);
    return nncl_version() == NNCL_VERSION && sync.size == sizeof sync ? 0 : 1;
}

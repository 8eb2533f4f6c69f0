/* SPDX-License-Identifier: MIT */
/* Poisoned for host/io (see CMakeLists.txt): the file readers and writers
 * never touch OpenCL, so including an OpenCL header there fails the build. */
#error "host/io must not include OpenCL headers: it is the layer below the device code"

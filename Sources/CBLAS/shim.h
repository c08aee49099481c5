#ifndef SIFT_CBLAS_SHIM_H
#define SIFT_CBLAS_SHIM_H
// The generic CBLAS interface (Debian's libblas-dev; /usr/include/<triple>/cblas.h).
// At run time libblas.so.3 resolves, through update-alternatives, to OpenBLAS when
// libopenblas0-pthread is installed (fast) or to the netlib reference BLAS (slow).
#include <cblas.h>
#endif

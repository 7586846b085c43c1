/* The versions lapse is and runs with, for `lapse --version` and bug reports. */
#include "lapse/version.h"

#include "blas_internal.h"

#include <cblas.h>
#include <csv.h>
#include <nettle/version.h>
#include <nlopt.h>
#include <stdio.h>
#include <svm.h>
#include <xgboost/c_api.h>
#include <yajl/yajl_version.h>
#include <zlib.h>
#include <zstd.h>
#ifdef LAPSE_HAVE_ISAL
#include <isa-l.h>
#endif

const char *lapse_version(void)
{
    return LAPSE_VERSION_STRING;
}

size_t lapse_version_dependencies(char *buf, size_t size)
{
    int nlopt_major, nlopt_minor, nlopt_bugfix;
    nlopt_version(&nlopt_major, &nlopt_minor, &nlopt_bugfix);
    const int yajl = yajl_version();
    int xgb_major, xgb_minor, xgb_patch;
    XGBoostVersion(&xgb_major, &xgb_minor, &xgb_patch);
    /* libsvm counts its version as 324 for 3.24, yajl as 20100 for 2.1.0;
     * openblas_get_config says "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell
     * MAX_THREADS=64", kernels included, which is what a slow run's report
     * needs. */
    /* Which inflater reads gzip input (src/base/input.h). */
#ifdef LAPSE_HAVE_ISAL
    char isal[96];
    snprintf(isal, sizeof isal, "isa-l %d.%d.%d (headers; inflates gzip unless LAPSE_INFLATE=zlib)", ISAL_MAJOR_VERSION,
             ISAL_MINOR_VERSION, ISAL_PATCH_VERSION);
#else
    const char *isal = "isa-l not built in (zlib inflates gzip)";
#endif
    const char *timeout = lapse_blas_thread_timeout();
    const int n = snprintf(buf, size,
                           "libsvm %d.%d\n%s%s%s%s\nzlib %s\n%s\nlibcsv %d.%d.%d (headers)\nzstd %s\n"
                           "yajl %d.%d.%d\nnlopt %d.%d.%d\nnettle %d.%d\nxgboost %d.%d.%d\n",
                           libsvm_version / 100, libsvm_version % 100, openblas_get_config(),
                           timeout ? " (idle threads sleep after 2^" : "", timeout ? timeout : "",
                           timeout ? " cycles)" : "",
                           zlibVersion(), isal, CSV_MAJOR, CSV_MINOR, CSV_RELEASE, ZSTD_versionString(),
                           yajl / 10000, yajl / 100 % 100, yajl % 100, nlopt_major, nlopt_minor,
                           nlopt_bugfix,
                           nettle_version_major(), nettle_version_minor(), xgb_major, xgb_minor,
                           xgb_patch);
    return n < 0 ? 0 : (size_t)n;
}

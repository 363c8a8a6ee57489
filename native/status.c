/* status.c - messages for the status codes of gatecore.h. */
#include "gatecore.h"

const char *gc_strerror(int status)
{
    switch (status) {
    case GC_OK:
        return "success";
    case GC_ERR_NULL:
        return "a required pointer argument is NULL";
    case GC_ERR_DIM:
        return "dimensions must satisfy T, B, I, H >= 1 and 0 <= P < H";
    case GC_ERR_LENGTHS:
        return "lengths[b] must satisfy 0 <= lengths[b] <= T";
    case GC_ERR_OVERFLOW:
        return "the buffer sizes overflow 64-bit byte counts";
    case GC_ERR_RESERVE:
        return "reserve is smaller than the size gc_<cell>_sizes reports";
    case GC_ERR_WORKSPACE:
        return "workspace is smaller than the size gc_<cell>_sizes reports";
    case GC_ERR_OPTION:
        return "reverse, linear_before_reset or nonlinearity has an unknown value";
    default:
        return "unknown gatecore status code";
    }
}

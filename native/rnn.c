/* rnn.c - the RNN kernels of gatecore.h: sizes, and forward/backward for double and float (rnn.inc). */
#include "layout.h"

int gc_rnn_sizes(int64_t T, int64_t B, int64_t I, int64_t H, int64_t *reserve, int64_t *workspace)
{
    gc_rnn_layout L;
    int status;
    if (reserve == NULL || workspace == NULL)
        return GC_ERR_NULL;
    if ((status = gc_rnn_layout_of(T, B, I, H, &L)) != GC_OK)
        return status;
    *reserve = L.reserve;
    *workspace = L.workspace;
    return GC_OK;
}

#include "real.h"
#include "ops.inc"
#include "rnn.inc"

#define GC_FLOAT32
#include "real.h"
#include "ops.inc"
#include "rnn.inc"

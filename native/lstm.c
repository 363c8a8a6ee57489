/* lstm.c - the LSTM kernels of gatecore.h: sizes, and forward/backward for double and float (lstm.inc). */
#include "layout.h"

int gc_lstm_sizes(int64_t T, int64_t B, int64_t I, int64_t H, int64_t P, int64_t *reserve, int64_t *workspace)
{
    gc_lstm_layout L;
    int status;
    if (reserve == NULL || workspace == NULL)
        return GC_ERR_NULL;
    if ((status = gc_lstm_layout_of(T, B, I, H, P, &L)) != GC_OK)
        return status;
    *reserve = L.reserve;
    *workspace = L.workspace;
    return GC_OK;
}

#include "real.h"
#include "ops.inc"
#include "lstm.inc"

#define GC_FLOAT32
#include "real.h"
#include "ops.inc"
#include "lstm.inc"

/* conv2d_plan.h -- how one conv2d call is cut into tiles and work items
 * (shared by the conv2d driver and the deformable driver). */
#ifndef FC_CONV2D_PLAN_H
#define FC_CONV2D_PLAN_H

#include <stdint.h>
#include "../fastconv.h"
#include "../ukernel/ukernel.h"

typedef struct fc_conv2d_plan_t {
    int V;              /* SIMD lanes for this dtype                                */
    int pixel_form;     /* 0: oc-vector form, 1: pixel-vector form                  */
    int P, M;           /* micro-kernel tile                                        */
    int64_t K;          /* reduction length: Cg*kh*kw                               */
    int64_t OB;         /* output channels per block (M*V), or per tile (pixel form) */
    int64_t nob;        /* blocks per group                                         */
    int64_t Wp, Lp;     /* panel row length (pixel form: Lp per stride phase)       */
    int64_t R, nrb;     /* output rows per work item, number of row blocks          */
    int64_t PR;         /* input rows in a panel                                    */
    int64_t nchunk, ob_per_chunk; /* output-channel chunks per work item            */
    int64_t panel_elems;
    int64_t items;      /* total work items                                         */
} fc_conv2d_plan_t;

int fc_conv2d_plan(const fc_conv2d_desc *d, const fc_ukernel_set *ks, int elsize,
                   int nthreads, fc_conv2d_plan_t *pl);
int fc_resolve_threads(int nthreads, int64_t items);

#endif

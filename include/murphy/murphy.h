/* murphy/murphy.h - everything a model sees: the model table (model.h) and the node API
 * (node.h). Out-of-tree models include this one header. */
#ifndef MURPHY_MURPHY_H
#define MURPHY_MURPHY_H

#include "murphy/model.h"
#include "murphy/node.h"
#include "murphy/wire.h"

#endif

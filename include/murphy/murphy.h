/* murphy/murphy.h - everything a model sees: the model table (model.h), the node API
 * (node.h), message encoding helpers (wire.h), oracles (oracle.h) and the entry point of
 * a model library (plugin.h). Out-of-tree models include this one header. */
#ifndef MURPHY_MURPHY_H
#define MURPHY_MURPHY_H

#include "murphy/model.h"
#include "murphy/node.h"
#include "murphy/oracle.h"
#include "murphy/plugin.h"
#include "murphy/wire.h"

#endif

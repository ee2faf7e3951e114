/* checks/detector.h - the oracle that writes the truth beside every failure-detector
 * verdict (checks/detector.c). */
#ifndef CHECKS_DETECTOR_H
#define CHECKS_DETECTOR_H

#include "oracle.h"

extern const struct oracle_def oracle_detector;

#endif

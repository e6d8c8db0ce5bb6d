/* Samsa bench shim: see ../src/rd.h */
#include "../src/rd.h"

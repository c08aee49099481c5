// Intentionally empty: the module only declares libFuzzer's driver (include/FuzzSupport.h).
#include "FuzzSupport.h"

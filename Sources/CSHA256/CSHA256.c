// The declaration in include/CSHA256.h is the whole module: its definition is swift-crypto's.
#include "CSHA256.h"

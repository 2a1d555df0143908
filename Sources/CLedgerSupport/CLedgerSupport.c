// The declarations in include/CLedgerSupport.h are the whole module: what they declare is
// swift-crypto's.
#include "CLedgerSupport.h"

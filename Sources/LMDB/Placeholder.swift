internal import CLMDB

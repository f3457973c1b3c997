/* Generated list of micro-kernel tiles (P pixels-or-channels x M vectors).
 * Included by ukernel_impl.h with FC_TILE defined; FC_MAX_ACC bounds P*M. */
#if FC_MAX_ACC >= 1
FC_TILE(1, 1)
#endif
#if FC_MAX_ACC >= 2
FC_TILE(2, 1)
#endif
#if FC_MAX_ACC >= 3
FC_TILE(3, 1)
#endif
#if FC_MAX_ACC >= 4
FC_TILE(4, 1)
#endif
#if FC_MAX_ACC >= 5
FC_TILE(5, 1)
#endif
#if FC_MAX_ACC >= 6
FC_TILE(6, 1)
#endif
#if FC_MAX_ACC >= 7
FC_TILE(7, 1)
#endif
#if FC_MAX_ACC >= 8
FC_TILE(8, 1)
#endif
#if FC_MAX_ACC >= 9
FC_TILE(9, 1)
#endif
#if FC_MAX_ACC >= 10
FC_TILE(10, 1)
#endif
#if FC_MAX_ACC >= 11
FC_TILE(11, 1)
#endif
#if FC_MAX_ACC >= 12
FC_TILE(12, 1)
#endif
#if FC_MAX_ACC >= 13
FC_TILE(13, 1)
#endif
#if FC_MAX_ACC >= 14
FC_TILE(14, 1)
#endif
#if FC_MAX_ACC >= 15
FC_TILE(15, 1)
#endif
#if FC_MAX_ACC >= 16
FC_TILE(16, 1)
#endif
#if FC_MAX_ACC >= 17
FC_TILE(17, 1)
#endif
#if FC_MAX_ACC >= 18
FC_TILE(18, 1)
#endif
#if FC_MAX_ACC >= 19
FC_TILE(19, 1)
#endif
#if FC_MAX_ACC >= 20
FC_TILE(20, 1)
#endif
#if FC_MAX_ACC >= 21
FC_TILE(21, 1)
#endif
#if FC_MAX_ACC >= 22
FC_TILE(22, 1)
#endif
#if FC_MAX_ACC >= 23
FC_TILE(23, 1)
#endif
#if FC_MAX_ACC >= 24
FC_TILE(24, 1)
#endif
#if FC_MAX_ACC >= 25
FC_TILE(25, 1)
#endif
#if FC_MAX_ACC >= 26
FC_TILE(26, 1)
#endif
#if FC_MAX_ACC >= 27
FC_TILE(27, 1)
#endif
#if FC_MAX_ACC >= 28
FC_TILE(28, 1)
#endif
#if FC_MAX_ACC >= 2
FC_TILE(1, 2)
#endif
#if FC_MAX_ACC >= 4
FC_TILE(2, 2)
#endif
#if FC_MAX_ACC >= 6
FC_TILE(3, 2)
#endif
#if FC_MAX_ACC >= 8
FC_TILE(4, 2)
#endif
#if FC_MAX_ACC >= 10
FC_TILE(5, 2)
#endif
#if FC_MAX_ACC >= 12
FC_TILE(6, 2)
#endif
#if FC_MAX_ACC >= 14
FC_TILE(7, 2)
#endif
#if FC_MAX_ACC >= 16
FC_TILE(8, 2)
#endif
#if FC_MAX_ACC >= 18
FC_TILE(9, 2)
#endif
#if FC_MAX_ACC >= 20
FC_TILE(10, 2)
#endif
#if FC_MAX_ACC >= 22
FC_TILE(11, 2)
#endif
#if FC_MAX_ACC >= 24
FC_TILE(12, 2)
#endif
#if FC_MAX_ACC >= 26
FC_TILE(13, 2)
#endif
#if FC_MAX_ACC >= 28
FC_TILE(14, 2)
#endif
#if FC_MAX_ACC >= 3
FC_TILE(1, 3)
#endif
#if FC_MAX_ACC >= 6
FC_TILE(2, 3)
#endif
#if FC_MAX_ACC >= 9
FC_TILE(3, 3)
#endif
#if FC_MAX_ACC >= 12
FC_TILE(4, 3)
#endif
#if FC_MAX_ACC >= 15
FC_TILE(5, 3)
#endif
#if FC_MAX_ACC >= 18
FC_TILE(6, 3)
#endif
#if FC_MAX_ACC >= 21
FC_TILE(7, 3)
#endif
#if FC_MAX_ACC >= 24
FC_TILE(8, 3)
#endif
#if FC_MAX_ACC >= 27
FC_TILE(9, 3)
#endif
#if FC_MAX_ACC >= 4
FC_TILE(1, 4)
#endif
#if FC_MAX_ACC >= 8
FC_TILE(2, 4)
#endif
#if FC_MAX_ACC >= 12
FC_TILE(3, 4)
#endif
#if FC_MAX_ACC >= 16
FC_TILE(4, 4)
#endif
#if FC_MAX_ACC >= 20
FC_TILE(5, 4)
#endif
#if FC_MAX_ACC >= 24
FC_TILE(6, 4)
#endif
#if FC_MAX_ACC >= 28
FC_TILE(7, 4)
#endif
#if FC_MAX_ACC >= 5
FC_TILE(1, 5)
#endif
#if FC_MAX_ACC >= 10
FC_TILE(2, 5)
#endif
#if FC_MAX_ACC >= 15
FC_TILE(3, 5)
#endif
#if FC_MAX_ACC >= 20
FC_TILE(4, 5)
#endif
#if FC_MAX_ACC >= 25
FC_TILE(5, 5)
#endif
#if FC_MAX_ACC >= 6
FC_TILE(1, 6)
#endif
#if FC_MAX_ACC >= 12
FC_TILE(2, 6)
#endif
#if FC_MAX_ACC >= 18
FC_TILE(3, 6)
#endif
#if FC_MAX_ACC >= 24
FC_TILE(4, 6)
#endif
#if FC_MAX_ACC >= 7
FC_TILE(1, 7)
#endif
#if FC_MAX_ACC >= 14
FC_TILE(2, 7)
#endif
#if FC_MAX_ACC >= 21
FC_TILE(3, 7)
#endif
#if FC_MAX_ACC >= 28
FC_TILE(4, 7)
#endif
#if FC_MAX_ACC >= 8
FC_TILE(1, 8)
#endif
#if FC_MAX_ACC >= 16
FC_TILE(2, 8)
#endif
#if FC_MAX_ACC >= 24
FC_TILE(3, 8)
#endif

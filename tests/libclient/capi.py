# SPDX-License-Identifier: MIT
"""libfileserver-client through ctypes: the C API of fileserver/client.h as
Python calls, for the tests in this folder. LIBFILESERVER_CLIENT names the
built shared library (tests/libclient/meson.build sets it)."""

import ctypes
import os

c_session_p = ctypes.c_void_p
c_dir_p = ctypes.c_void_p

TO_END = 2**64 - 1


class Stat(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint64), ("mode", ctypes.c_uint32), ("uid", ctypes.c_uint32),
                ("gid", ctypes.c_uint32), ("mtime_sec", ctypes.c_int64), ("mtime_nsec", ctypes.c_uint32)]


class Dirent(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("name_len", ctypes.c_size_t), ("type", ctypes.c_uint8),
                ("mode", ctypes.c_uint32), ("size", ctypes.c_uint64), ("mtime_sec", ctypes.c_int64)]


DATA_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t)


def load(path=None):
    lib = ctypes.CDLL(path or os.environ["LIBFILESERVER_CLIENT"])
    sigs = {
        "fileserver_error_message": (ctypes.c_char_p, []),
        "fileserver_session_open": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(c_session_p)]),
        "fileserver_session_close": (None, [c_session_p]),
        "fileserver_ping": (ctypes.c_int, [c_session_p, ctypes.c_char_p, ctypes.c_size_t]),
        "fileserver_status": (ctypes.c_int, [c_session_p, ctypes.POINTER(ctypes.c_void_p)]),
        "fileserver_stat": (ctypes.c_int, [c_session_p, ctypes.c_char_p, ctypes.POINTER(Stat)]),
        "fileserver_get_fd": (ctypes.c_int, [c_session_p, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint64,
                                             ctypes.c_int, ctypes.POINTER(Stat)]),
        "fileserver_get_cb": (ctypes.c_int, [c_session_p, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint64,
                                             DATA_FN, ctypes.c_void_p, ctypes.POINTER(Stat)]),
        "fileserver_get_ahead": (ctypes.c_int, [c_session_p, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint64]),
        "fileserver_list_open": (ctypes.c_int, [c_session_p, ctypes.c_char_p, ctypes.POINTER(c_dir_p)]),
        "fileserver_list_next": (ctypes.c_int, [c_dir_p, ctypes.POINTER(ctypes.POINTER(Dirent))]),
        "fileserver_list_close": (None, [c_dir_p]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


def message(lib):
    return lib.fileserver_error_message().decode(errors="replace")

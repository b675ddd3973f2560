# The `forkscope` command: dist/cli.js begins with these lines (scripts/build.mjs puts them inside a
# JavaScript comment), so run as a command it is this shell script first; `node dist/cli.js` skips it.
#
# `forkscope record` in a terminal starts Python first and the supervisor beside it (docs/cli.md,
# "How a run starts"): Node takes 60-110 ms to boot, and Python need not wait for it. This script
# names the run's private folder and picks its secret, starts the interpreter on the runtime's launcher in the
# background with the terminal's stdin, and becomes Node (exec), which adopts the interpreter as its
# child (FORKSCOPE_ADOPT), binds the socket in that folder and records the run; the runtime keeps its
# first events until the socket is there (connectWaitMs). Only the plain forms take this path: the
# options -q, -o/--out, --python and the numeric ones with decimal values the CLI takes, a *.py script
# or -m MODULE, an interpreter that is a real binary, on Linux. Anything else (other options, an
# interpreter behind a shim, bad input) returns here with nothing started, and Node does it all, and
# says what is wrong, as before.
#
# Runs after the first are warm: this user's warm supervisor (extension/runtime/warm.ts), a Node process a cold
# run left behind, records them, and no Node starts; this script then stays the interpreter's parent
# (forkscope_warm_run, below).
#
# A background job of a non-interactive shell starts with SIGINT and SIGQUIT ignored (POSIX). The
# launcher gives them back to the interpreter (FORKSCOPE_RESTORE_SIGNALS), except one the terminal's
# command already ignored itself (read from this shell's own /proc/$$/stat before anything changed).
#
# Keep "*" and "/" apart here (write [/]): the first such pair would end the comment in JavaScript.

# The file `exec` would run for a bare command name, as fs_bin (a PATH search without starting a program).
forkscope_which() {
  fs_bin=
  fs_ifs=$IFS
  IFS=:
  set -f
  for fs_d in $PATH; do
    if [ -f "${fs_d:-.}/$1" ] && [ -x "${fs_d:-.}/$1" ]; then
      fs_bin=${fs_d:-.}/$1
      break
    fi
  done
  set +f
  IFS=$fs_ifs
  [ -n "$fs_bin" ]
}

# An absolute path with its "." and ".." parts worked out, as fs_norm (as Node writes paths: the runtime
# compares file names). npm links the command through "../lib/node_modules/…".
forkscope_normalize() {
  fs_norm=
  fs_rest=$1/
  while [ -n "$fs_rest" ]; do
    fs_part=${fs_rest%%[/]*}
    fs_rest=${fs_rest#*[/]}
    case $fs_part in
      '' | .) ;;
      ..) fs_norm=${fs_norm%[/]*} ;;
      *) fs_norm=$fs_norm/$fs_part ;;
    esac
  done
  [ -n "$fs_norm" ] || fs_norm=/
}

# This shell's ignored signals' low bits, as fs_ign (0-7): from the 33rd field of /proc/$$/stat, counted after the
# command name's closing parenthesis (a name can hold spaces and parentheses). The shell's `read` takes a
# byte at a time: this one line is a fifth of /proc/$$/status, which took 2 ms to read here.
forkscope_sigignore() {
  IFS= read -r fs_ign < /proc/$$/stat || return 1
  fs_ign=${fs_ign##*") "}
  fs_ifs=$IFS
  IFS=' '
  set -f
  set -- $fs_ign
  set +f
  IFS=$fs_ifs
  [ $# -ge 31 ] || return 1
  shift 30
  fs_ign=00$1
  case $fs_ign in *[!0-9]*) return 1 ;; esac
  # Only its 3 lowest bits are wanted, and 1000 is a multiple of 8: the last 3 digits carry them (a mask with
  # signal 64 ignored is over the shell's arithmetic; the "1" keeps "0xy" from reading as octal).
  fs_ign=${fs_ign#"${fs_ign%???}"}
  fs_ign=$((1$fs_ign % 8))
}

# A whole number the CLI takes for an option whose least is $2, as fs_num without leading zeros (JSON has none, and
# the shell's arithmetic reads them as octal); else false, and the CLI itself says what is wrong.
forkscope_number() {
  case $1 in '' | *[!0-9]*) return 1 ;; esac
  fs_num=${1#"${1%%[!0]*}"}
  fs_num=${fs_num:-0}
  [ ${#fs_num} -le 9 ] && [ "$fs_num" -ge "$2" ]
}

forkscope_python_first() {
  fs_argc=$#
  shift
  fs_out= fs_py= fs_opts=
  while [ $# -gt 0 ]; do
    # (A numeric option's value, from --opt=VALUE or the next word: fs_two when that word is to be skipped.)
    fs_two=
    case $1 in
      --sample-ms=* | --max-processes=* | --hang-seconds=* | --flush-ms=* | --detail-rate=*) fs_val=${1#*=} ;;
      --sample-ms | --max-processes | --hang-seconds | --flush-ms | --detail-rate)
        [ $# -ge 2 ] || return 0
        fs_val=$2
        fs_two=1
        ;;
    esac
    case $1 in
      -q | --quiet) ;;
      --sample-ms | --sample-ms=*) forkscope_number "$fs_val" 10 || return 0 ;;
      --max-processes | --max-processes=*)
        forkscope_number "$fs_val" 1 || return 0
        fs_opts="$fs_opts,\"maxProcesses\":$fs_num"
        ;;
      --flush-ms | --flush-ms=*)
        forkscope_number "$fs_val" 1 || return 0
        fs_opts="$fs_opts,\"flushMs\":$fs_num"
        ;;
      --detail-rate | --detail-rate=*)
        forkscope_number "$fs_val" 0 || return 0
        fs_opts="$fs_opts,\"detailRate\":$fs_num"
        ;;
      # (Seconds: digits with at most one point.)
      --hang-seconds | --hang-seconds=*)
        case $fs_val in '' | . | *[!0-9.]* | *.*.*) return 0 ;; esac
        ;;
      -o | --out)
        [ $# -ge 2 ] || return 0
        fs_out=$2
        shift
        ;;
      --out=?*) fs_out=${1#--out=} ;;
      --python)
        [ $# -ge 2 ] || return 0
        fs_py=$2
        shift
        ;;
      --python=?*) fs_py=${1#--python=} ;;
      --)
        shift
        break
        ;;
      -m) break ;;
      *) [ "${1#-}" = "$1" ] || return 0; break ;;
    esac
    [ -z "$fs_two" ] || shift
    shift
  done

  # How many of the command's words are Forkscope's ("record" and its options): the rest are the script's.
  fs_argc=$((fs_argc - $#))

  # The script (a *.py file that is there) or -m MODULE; the recording's default name as the CLI makes it.
  if [ "${1-}" = -m ]; then
    case ${2-} in '' | *[!A-Za-z0-9_.]*) return 0 ;; esac
    fs_default=$2.forkscope
  else
    case ${1-} in *.py | *.pyw) ;; *) return 0 ;; esac
    [ -f "$1" ] || return 0
    fs_default=${1##*[/]}
    fs_default=${fs_default%.py}
    fs_default=${fs_default%.pyw}.forkscope
  fi

  # The recording's folder exists and is writable, and the recording is not a folder.
  fs_out=${fs_out:-$fs_default}
  case $fs_out in
    *[/]*) fs_dir=${fs_out%[/]*} ;;
    *) fs_dir=. ;;
  esac
  [ -n "$fs_dir" ] || fs_dir=/
  [ -d "$fs_dir" ] && [ -w "$fs_dir" ] && [ ! -d "$fs_out" ] || return 0

  # The interpreter: named, else python3 or python on PATH (as the CLI picks it); it must be a real binary.
  if [ -z "$fs_py" ]; then
    fs_py=python3
    command -v python3 > /dev/null 2>&1 || fs_py=python
  fi
  case $fs_py in
    *[/]*) fs_bin=$fs_py ;;
    *) forkscope_which "$fs_py" || return 0 ;;
  esac
  [ -f "$fs_bin" ] && [ -x "$fs_bin" ] && [ -r "$fs_bin" ] || return 0
  IFS= read -r fs_head < "$fs_bin" || :
  case $fs_head in ?ELF*) ;; *) return 0 ;; esac
  command -v node > /dev/null 2>&1 || return 0

  # Where the runtime is: beside this file's real location (npm links the command to it).
  fs_self=$0
  while [ -h "$fs_self" ]; do
    fs_link=$(readlink "$fs_self") || return 0
    case $fs_link in
      /*) fs_self=$fs_link ;;
      *) fs_self=${fs_self%[/]*}/$fs_link ;;
    esac
  done
  case $fs_self in *[/]*) fs_root=${fs_self%[/]*} ;; *) fs_root=. ;; esac
  case $fs_root in /*) ;; *) fs_root=$PWD/$fs_root ;; esac
  forkscope_normalize "$fs_root"
  fs_root=$fs_norm
  if [ -f "${fs_root%[/]*}/extension/python/forkscope_launch.py" ]; then
    fs_root=${fs_root%[/]*}/extension/python
  elif [ -f "$fs_root/python/forkscope_launch.py" ]; then
    fs_root=$fs_root/python
  else
    return 0
  fi

  # What this shell itself started with ignored (bit 1 is SIGINT, bit 2 SIGQUIT).
  [ -r /proc/$$/stat ] && [ -e /proc/$$/fd/0 ] && [ ! -e /proc/$$/fd/9 ] || return 0
  forkscope_sigignore || return 0
  fs_restore=
  [ $((fs_ign & 2)) -ne 0 ] || fs_restore=SIGINT
  [ $((fs_ign & 4)) -ne 0 ] || fs_restore=${fs_restore:+$fs_restore,}SIGQUIT

  # The run's folder and secret, from the kernel's random UUIDs (no program to start): the folder's name
  # cannot be guessed, and whichever of Python and Node comes first makes it, private (0700); the other
  # checks that it is this user's and private before using it.
  IFS=- read -r fs_a fs_b fs_c fs_d fs_e < /proc/sys/kernel/random/uuid || return 0
  fs_tmp=${TMPDIR:-/tmp}
  fs_tmp=${fs_tmp%/}
  fs_run=${fs_tmp:-/tmp}/forkscope-$fs_a$fs_b$fs_c$fs_d$fs_e
  IFS=- read -r fs_a fs_b fs_c fs_d fs_e < /proc/sys/kernel/random/uuid || return 0
  fs_secret=$fs_a$fs_b$fs_c$fs_d$fs_e
  case $fs_run in /*) ;; *) return 0 ;; esac
  case $fs_run$fs_root in *[\"\\]* | *[[:cntrl:]]*) return 0 ;; esac
  [ ${#fs_secret} -eq 32 ] || return 0

  fs_config="{\"v\":1,\"socket\":\"$fs_run/events.sock\",\"secret\":\"$fs_secret\",\"root\":\"$fs_root\",\"connectWaitMs\":10000,\"supervisorPid\":$$$fs_opts}"

  # This user's warm supervisor (docs/cli.md, "The warm supervisor"): a Node process an earlier run left
  # listening on warm.sock in Forkscope's per-user cache folder (as extension/runtime/userCache.ts names it).
  # When its socket is there, this shell stays the interpreter's parent (forkscope_warm_run, below) and the
  # interpreter hands the run to that supervisor (forkscope_runtime/warm.py). Else Node is told where to leave
  # one for the next run (FORKSCOPE_WARM_SOCKET).
  fs_warm=
  if [ "${FORKSCOPE_WARM-}" != 0 ]; then
    if [ -n "${FORKSCOPE_CACHE_DIR-}" ]; then
      fs_warm=$FORKSCOPE_CACHE_DIR/warm.sock
    elif [ -n "${XDG_CACHE_HOME-}" ]; then
      fs_warm=$XDG_CACHE_HOME/forkscope/warm.sock
    elif [ -n "${HOME-}" ]; then
      fs_warm=$HOME/.cache/forkscope/warm.sock
    fi
    case $fs_warm in
      /*) ;;
      *) fs_warm= ;;
    esac
    case $fs_warm in *[\"\\]* | *[[:cntrl:]]*) fs_warm= ;; esac
    # (A Unix socket's path holds 107 bytes at most.)
    [ ${#fs_warm} -le 100 ] || fs_warm=
  fi
  if [ -n "$fs_warm" ] && [ -S "$fs_warm" ]; then
    fs_warm_python="{\"argc\":$fs_argc,\"socket\":\"$fs_warm\"}"
    return 0
  fi
  # The background job gets the terminal's stdin back (it would read /dev/null otherwise).
  exec 9<&0
  FORKSCOPE_RUNTIME=$fs_config FORKSCOPE_RESTORE_SIGNALS=$fs_restore "$fs_py" "$fs_root/forkscope_launch.py" "$@" 0<&9 9<&- &
  exec 9<&-
  forkscope_to_node $!
}

# The way to Node for the interpreter started in the background, $1: Node adopts it (FORKSCOPE_ADOPT).
forkscope_to_node() {
  FORKSCOPE_ADOPT="$1 $fs_run $fs_secret"
  export FORKSCOPE_ADOPT
  if [ -n "$fs_warm" ]; then
    FORKSCOPE_WARM_SOCKET=$fs_warm
    export FORKSCOPE_WARM_SOCKET
  fi
  # A Ctrl-C (or SIGTERM, SIGHUP) before Node has its handlers would end it by the default action, and the
  # script, already running, would lose its recording and its parent. Ignored here, on the way to Node (and
  # through a wrapper in front of it); Node itself sets every disposition back to the default as it starts,
  # so during Node's own start (before its first line of JavaScript) a Ctrl-C does end it: the script gets
  # the Ctrl-C as plainly and runs on unrecorded, its runtime no longer waiting (supervisorPid).
  trap '' INT TERM HUP
}

# A warm run (forkscope_python_first found the warm supervisor's socket): the interpreter is started as for a
# cold run, given the whole command line and how many of its words are Forkscope's, and this shell waits for it.
# Meanwhile it passes the terminal's Ctrl-C ("int"), SIGTERM and SIGHUP ("stop") on to the supervisor through
# the run's `ctl` FIFO, as Node would take them in a cold run. Once the script has ended it says how (an exit
# status, or a signal: the script's `exit` file tells a chosen status from a death by signal), writes what the
# supervisor says on `done`, and ends the same way. Should the supervisor not take the run, the interpreter
# says so (SIGUSR1) and this shell becomes Node after all, which adopts it.
forkscope_warm_run() {
  fs_got= fs_cold=
  trap 'fs_cold=1' USR1
  trap 'fs_got="$fs_got int"' INT
  trap 'fs_got="$fs_got stop"' TERM
  trap 'fs_got="$fs_got stop"' HUP
  exec 9<&0
  FORKSCOPE_WARM_START=$fs_warm_python FORKSCOPE_RUNTIME=$fs_config FORKSCOPE_RESTORE_SIGNALS=$fs_restore "$fs_py" "$fs_root/forkscope_launch.py" "$@" 0<&9 9<&- &
  fs_child=$!
  exec 9<&-
  while :; do
    [ -n "$fs_cold" ] || wait "$fs_child"
    fs_st=$?
    if [ -n "$fs_cold" ]; then
      trap - USR1
      forkscope_to_node "$fs_child"
      return 0
    fi
    if [ -n "$fs_got" ]; then
      forkscope_tell $fs_got
      fs_got=
      # (An interrupted wait: the interpreter is still running, or a zombie not yet waited for.)
      kill -0 "$fs_child" 2> /dev/null && continue
    fi
    break
  done

  # An interpreter that ended before it could hand the run over (no `ctl`): one too old for the runtime (the
  # launcher is a SyntaxError to Python 2), or one that failed as it started. A cold run's Node says the same.
  if [ ! -p "$fs_run/ctl" ] && [ "$fs_st" -gt 0 ] && [ "$fs_st" -le 128 ]; then
    printf 'forkscope: "%s" ended before it started Forkscope'"'"'s runtime; Forkscope needs Python 3.9 or newer: name one with --python /path/to/python3. Nothing was recorded.\n' "$fs_py" >&2
  fi

  # What the supervisor says at the end. The shell's own read end is opened through a read-write one, which
  # never waits, so that once that is closed the supervisor holds the only write end: its last words, then
  # the end of the file, also if it is gone.
  fs_done=
  if [ -p "$fs_run/done" ]; then
    exec 7<> "$fs_run/done" 6< "$fs_run/done" 7>&-
    fs_done=1
  fi
  fs_exit=
  [ -f "$fs_run/exit" ] && IFS= read -r fs_exit < "$fs_run/exit"
  fs_sig=
  if [ "$fs_st" -gt 128 ] && [ "$fs_exit" != "$fs_st" ]; then
    fs_sig=$((fs_st - 128))
    forkscope_tell "signal $fs_sig"
  else
    forkscope_tell "exit $fs_st"
  fi
  # (Read whatever happens to the folder meanwhile: the supervisor removes it as it ends.)
  if [ -n "$fs_done" ]; then
    fs_end=
    while :; do
      if IFS= read -r fs_line <&6; then
        case $fs_line in
          'say '*) printf '%s\n' "${fs_line#say }" >&2 ;;
          end) fs_end=1 ;;
        esac
      elif [ -n "$fs_got" ]; then
        forkscope_tell $fs_got
        fs_got=
      else
        break
      fi
    done
    exec 6<&-
    # A supervisor gone before its end (killed) left the run's folder: what it recorded so far is kept.
    [ -n "$fs_end" ] || rm -rf "$fs_run" 2> /dev/null
  fi
  if [ -n "$fs_sig" ]; then
    # Ended by a signal: so does this shell (one it was started with ignored cannot end it: then the status).
    trap - INT TERM HUP
    kill -"$fs_sig" $$ 2> /dev/null
  fi
  exit "$fs_st"
}

# Lines for the warm supervisor (each argument one), on the run's `ctl` FIFO, opened read-write: never waits.
forkscope_tell() {
  [ -p "$fs_run/ctl" ] && printf '%s\n' "$@" 1<> "$fs_run/ctl"
}

fs_warm_python=
if [ "${1-}" = record ] && [ -z "${FORKSCOPE_NODE_FIRST-}" ] && [ -z "${FORKSCOPE_SCRIPT_ENV+x}" ] && [ -z "${FORKSCOPE_ADOPT+x}" ]; then
  forkscope_python_first "$@"
  [ -z "$fs_warm_python" ] || forkscope_warm_run "$@"
fi

# Node parses NODE_EXTRA_CA_CERTS's file at every start (30 ms and more) and the supervisor makes no TLS
# connection: it is handed to the script through FORKSCOPE_SCRIPT_ENV instead (a value JSON would need
# escaping for stays where it is). A script started above has it already.
if [ -n "${NODE_EXTRA_CA_CERTS-}" ]; then
  if [ -n "${FORKSCOPE_ADOPT-}" ]; then
    unset NODE_EXTRA_CA_CERTS
  elif [ -z "${FORKSCOPE_SCRIPT_ENV+x}" ]; then
    case $NODE_EXTRA_CA_CERTS in
      *[\"\\]* | *[[:cntrl:]]*) ;;
      *)
        FORKSCOPE_SCRIPT_ENV="{\"NODE_EXTRA_CA_CERTS\":\"$NODE_EXTRA_CA_CERTS\"}"
        export FORKSCOPE_SCRIPT_ENV
        unset NODE_EXTRA_CA_CERTS
        ;;
    esac
  fi
fi
# One V8 worker thread, not four: Node's start competes with Python's for this machine's cores, and the
# supervisor needs no more (2-4 ms less CPU at every start here; docs/cli.md, "How a run starts").
exec node --v8-pool-size=1 "$0" "$@"

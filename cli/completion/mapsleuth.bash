# bash completion for mapsleuth(1): subcommands, their options, the values
# of --format and --progress, and file names for cores and executables.
# Installed as /usr/share/bash-completion/completions/mapsleuth (loaded on
# demand by the bash-completion package); or `source` this file.
# Keep in step with cli/main.cpp and cli/Batch.cpp (tests/package checks).

_mapsleuth_files() {
  if declare -F _filedir >/dev/null; then
    _filedir "$@"
  else
    local IFS=$'\n'
    COMPREPLY+=($(compgen -f -- "$cur"))
  fi
}

_mapsleuth() {
  local cur prev sub i
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local subs="analyze info goroutines stack batch summarize"
  local common="--exe -e --format -f --force --max-inflate --help -h"

  # The subcommand: the first word after `mapsleuth` that is one
  # (`mapsleuth CORE` is short for `mapsleuth analyze CORE`).
  sub=
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      analyze | info | goroutines | stack | batch | summarize) sub=${COMP_WORDS[i]}; break ;;
      -*) ;;
      *) sub=analyze; break ;;
    esac
  done

  case $prev in
    --exe | -e | --summary-file | --db | --known)
      _mapsleuth_files
      return 0
      ;;
    --format | -f)
      if [[ $sub == batch ]]; then
        COMPREPLY=($(compgen -W "jsonl csv text" -- "$cur"))
      elif [[ $sub == summarize ]]; then
        COMPREPLY=($(compgen -W "json text" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "text json" -- "$cur"))
      fi
      return 0
      ;;
    --progress)
      COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
      return 0
      ;;
    --jobs | -j | --goroutine | -g | --shard | --max-inflate)
      return 0 # a number (K/N)
      ;;
  esac

  if [[ -z $sub ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--help -h --version" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$subs" -- "$cur"))
      _mapsleuth_files
    fi
    return 0
  fi

  if [[ $cur == -* ]]; then
    local opts=$common
    case $sub in
      stack) opts+=" --goroutine -g --all -a" ;;
      analyze) opts+=" --all-tables" ;;
      batch) opts+=" --jobs -j --summary -s --summary-file --progress --shard --db --known --no-logs" ;;
      summarize) opts="--format -f --summary-file --help -h" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return 0
  fi
  _mapsleuth_files
}

complete -F _mapsleuth mapsleuth

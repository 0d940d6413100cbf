# SPDX-License-Identifier: ISC
# bash completion for sockwatchctl(8)
# shellcheck disable=SC2207 # compgen words never hold spaces

# The values of key ("comm", "user", "unit") in the daemon's picture, or
# in the file after --from: the names a filter's proc, user and unit terms
# can match. The socket is the one the command line names, as
# sockwatchctl would use it.
_sockwatchctl_picture()
{
	local key=$1 i sock=() cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		list | status | record | events | history) cmd=1 ;;
		-s | --socket)
			# --socket=PATH comes split at the "=", as --socket = PATH
			[[ ${words[i + 1]} == = ]] && ((i++))
			[[ -z $cmd ]] && sock=(--socket "${words[i + 1]}")
			;;
		--from)
			[[ ${words[i + 1]} == = ]] && ((i++))
			sock=(--from "${words[i + 1]}")
			;;
		esac
	done
	# a busy daemon must not hold the shell: two seconds at most
	timeout 2 sockwatchctl "${sock[@]}" list --json 2>/dev/null |
		grep -o "\"$key\":\"[^\"\\\\]*\"" | cut -d'"' -f4 | sort -u
}

# What may follow sport or dport (the service names of services(5)), or
# dev (the devices), after their operator if any.
_sockwatchctl_values()
{
	local name rest
	if [[ $1 == dev ]]; then
		# this network namespace's, which /sys may not show (a chroot)
		while IFS=: read -r name rest; do
			[[ $rest ]] && printf '%s\n' "${name// /}"
		done < <(tail -n +3 /proc/net/dev 2>/dev/null)
		return
	fi
	while read -r name rest; do
		[[ -n $name && $name != \#* ]] && printf '%s\n' "$name"
	done </etc/services 2>/dev/null
}

_sockwatchctl()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}

	# bash splits --color=al at the "=" (COMP_WORDBREAKS): the option
	# is then the word before the "=", and the value what follows it
	if [[ $cur == = ]]; then
		prev=${words[cword - 1]} cur=
	elif [[ $prev == = ]] && ((cword >= 2)); then
		prev=${words[cword - 2]}
	fi

	local i cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		list | status | record | events | history) cmd=${words[i]}; break ;;
		-s | --socket | --socket-owner | --sort | --top | --since | --from)
			((i++)) ;;
		esac
	done

	# words, not > and <, which the shell would take as redirections
	local ops='= != gt lt ge le'
	case $prev in
	--color)
		COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
		return
		;;
	-s)
		# before the command the socket; after it, ss's summary
		[[ -z $cmd ]] && COMPREPLY=($(compgen -f -- "$cur")) && return
		;;
	--socket | --from)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--sort)
		COMPREPLY=($(compgen -W 'conns live queue sockets port' -- "$cur"))
		return
		;;
	--top)
		return
		;;
	--since)
		COMPREPLY=($(compgen -W '90s 30m 1h 1d' -- "$cur"))
		return
		;;
	--socket-owner)
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	state | exclude | excl)
		COMPREPLY=($(compgen -W 'all connected synchronized bucket big
			established syn-sent syn-recv fin-wait-1 fin-wait-2
			time-wait unconnected closed close-wait last-ack listening
			closing' -- "$cur"))
		return
		;;
	role)
		COMPREPLY=($(compgen -W 'listen outbound' -- "$cur"))
		return
		;;
	proto)
		COMPREPLY=($(compgen -W 'tcp udp' -- "$cur"))
		return
		;;
	family)
		COMPREPLY=($(compgen -W 'inet inet6' -- "$cur"))
		return
		;;
	proc | unit)
		COMPREPLY=($(compgen -W "$(_sockwatchctl_picture \
			"${prev/proc/comm}")" -- "$cur"))
		return
		;;
	user)
		local users
		users=$(_sockwatchctl_picture user)
		COMPREPLY=($(compgen -W "${users:-$(compgen -u)}" -- "$cur"))
		return
		;;
	sport | dport | dev)
		[[ $prev == dev ]] && ops='= !='
		COMPREPLY=($(compgen -W "$ops $(_sockwatchctl_values "$prev")" \
			-- "$cur"))
		return
		;;
	esac
	# a value after an operator: the word before it says of what
	if ((cword >= 2)) && [[ " $ops == eq ne " == *" $prev "* ]]
	then
		case ${words[cword - 2]} in
		sport | dport | dev)
			COMPREPLY=($(compgen -W \
				"$(_sockwatchctl_values "${words[cword - 2]}")" \
				-- "$cur"))
			return
			;;
		esac
	fi

	if [[ $cur == -* ]]; then
		local opts='--socket --socket-owner -h --help -V --version'
		local which='-t --tcp -u --udp -4 --ipv4 -6 --ipv6 -l --listening
			-a --all --outbound -n --numeric -p --processes -r --resolve
			--color'
		case $cmd in
		list) opts+=" $which -j --json --jsonl --pretty -f --fresh
			-c --counts -s --summary -e --extended --sort --top
			-H --no-header --from" ;;
		events) opts+=" $which -j --json --jsonl --pretty" ;;
		history) opts+=" $which -j --json --jsonl --pretty -c --counts
			--since -H --no-header" ;;
		status) opts+=' -j --json' ;;
		record) opts+=' -f --fresh' ;;
		'') opts+=' -s' ;;
		esac
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W 'list status record events history' \
			-- "$cur"))
		return
	fi
	if [[ $cmd == list || $cmd == events || $cmd == history ]]; then
		COMPREPLY=($(compgen -W 'state exclude src dst sport dport dev
			and or not role local proc pid user unit queue proto family' \
			-- "$cur"))
	elif [[ $cmd == record ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
} &&
	complete -F _sockwatchctl sockwatchctl

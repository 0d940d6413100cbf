# SPDX-License-Identifier: ISC
# bash completion for sockwatchctl(8)
# shellcheck disable=SC2207 # compgen words never hold spaces
_sockwatchctl()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}

	case $prev in
	-s | --socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--sort)
		COMPREPLY=($(compgen -W 'conns queue sockets port' -- "$cur"))
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
	dev)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return
		;;
	esac

	local i cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		list | status | record | events | history) cmd=${words[i]}; break ;;
		-s | --socket | --socket-owner | --sort | --top | --since) ((i++)) ;;
		esac
	done

	if [[ $cur == -* ]]; then
		local opts='-s --socket --socket-owner -h --help -V --version'
		local which='-t --tcp -u --udp -4 --ipv4 -6 --ipv6 -l --listening
			-o --outbound -r --resolve --color'
		case $cmd in
		list) opts+=" $which -j --json --jsonl -P --pretty -f --fresh
			-c --counts -m --summary --sort --top -H --no-header" ;;
		events) opts+=" $which -j --json" ;;
		history) opts+=" $which -j --json --jsonl -c --counts --since
			-H --no-header" ;;
		status) opts+=' -j --json' ;;
		record) opts+=' -f --fresh' ;;
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
			and or not role proc pid user unit queue proto family' \
			-- "$cur"))
	elif [[ $cmd == record ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
} &&
	complete -F _sockwatchctl sockwatchctl

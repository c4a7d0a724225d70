%% A worker for the differential test against Maestro's supervisor: it writes `start <path>` when it
%% starts and, asked to stop by its supervisor, `stop <path>` (on_shutdown stop), `asked <path>`
%% and then hangs until killed (hang), or `stop <path>` and then exits abnormally (crash). Its start
%% function fails on the start attempts listed in fail_starts, writing `fail <path>`.
-module(diff_worker).
-behaviour(gen_server).
-export([start_link/2, start_link/3, trace/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

%% One ordered trace per scenario: ETS inserts are immediate, so the order is the order of events.
trace(Tab, Parts) ->
    ets:insert(Tab, {{line, erlang:unique_integer([monotonic, positive])}, iolist_to_binary(lists:join(<<" ">>, Parts))}).

start_link(Tab, Opts) ->
    Path = maps:get(path, Opts),
    N = ets:update_counter(Tab, {starts, Path}, 1, {{starts, Path}, 0}),
    case lists:member(N, maps:get(fail_starts, Opts, [])) of
        true -> trace(Tab, [<<"fail">>, Path]), {error, start_failed};
        false -> gen_server:start_link(?MODULE, {Tab, Opts}, [])
    end.

%% A simple_one_for_one instance: the name given to start_child completes its path.
start_link(Tab, Opts, Name) ->
    start_link(Tab, Opts#{path => <<(maps:get(sup_path, Opts))/binary, "/", Name/binary>>}).

init({Tab, Opts}) ->
    process_flag(trap_exit, true),
    Path = maps:get(path, Opts),
    ets:insert(Tab, {{pid, Path}, self()}),
    trace(Tab, [<<"start">>, Path]),
    {ok, Opts#{tab => Tab}}.

handle_call(_Req, _From, S) -> {reply, ok, S}.

handle_cast({exit, Reason}, S) -> {stop, Reason, S#{self_exit => true}}.

handle_info(_Msg, S) -> {noreply, S}.

terminate(_Reason, #{self_exit := true}) -> ok;
terminate(shutdown, #{tab := Tab, path := Path} = S) ->
    case maps:get(on_shutdown, S, <<"stop">>) of
        <<"stop">> -> trace(Tab, [<<"stop">>, Path]);
        <<"hang">> -> trace(Tab, [<<"asked">>, Path]), timer:sleep(infinity);
        <<"crash">> -> trace(Tab, [<<"stop">>, Path]), exit(crashed_on_shutdown)
    end;
terminate(_Reason, _S) -> ok.

%% Runs the differential test's scenarios on real OTP and prints each one's trace:
%% `erl -noshell -pa DIR -run diff_driver main SCENARIOS.eterm -s init stop`. Every scenario runs
%% in its own process at the same time; supervisor reports come from a logger handler.
-module(diff_driver).
-export([main/1, log/2]).

main([File]) ->
    {ok, [Scenarios]} = file:consult(File),
    ets:new(diff_sups, [named_table, public, set]),
    logger:remove_handler(default),
    logger:set_primary_config(level, all),
    ok = logger:add_handler(diff, ?MODULE, #{level => all}),
    Self = self(),
    %% The tables belong to this process, so a scenario's tree that is still stopping when its
    %% scenario ends has somewhere to write.
    Pids = [begin Tab = ets:new(trace, [ordered_set, public]), spawn(fun() -> Self ! {done, self(), run(Tab, S)} end) end || S <- Scenarios],
    Results = [receive {done, P, R} -> R after 60000 -> <<"TIMEOUT">> end || P <- Pids],
    lists:foreach(fun({S, Lines}) ->
                          io:format("SCENARIO ~s~n", [maps:get(name, S)]),
                          [io:format("~s~n", [L]) || L <- Lines],
                          io:format("END~n")
                  end, lists:zip(Scenarios, Results)).

%% The logger handler: a supervisor report becomes `report <supervisor> <errorContext> <offender id>`.
log(#{msg := {report, #{label := {supervisor, Ctx}, report := R}}, meta := #{pid := Pid}}, _Config) when Ctx =/= progress ->
    case ets:lookup(diff_sups, Pid) of
        [{_, Tab, SupPath, Strategy}] ->
            Offender = proplists:get_value(offender, R, []),
            %% A simple_one_for_one child has no id of its own (Maestro numbers them): `*` on both sides.
            Id = case Strategy of
                     <<"simple_one_for_one">> -> <<"*">>;
                     _ -> proplists:get_value(id, Offender, <<"-">>)
                 end,
            %% A handler that crashes is removed by logger: never let one.
            catch diff_worker:trace(Tab, [<<"report">>, SupPath, atom_to_binary(Ctx), Id]);
        [] -> ok
    end;
log(_Event, _Config) -> ok.

run(Tab, Scenario) ->
    process_flag(trap_exit, true),
    Root = maps:get(sup, Scenario),
    Fate = case diff_sup:start_link(Tab, Root#{path => <<"root">>}) of
               {ok, Pid} ->
                   settle(),
                   lists:foreach(fun(Step) -> step(Tab, Pid, Step) end, maps:get(steps, Scenario, [])),
                   settle(),
                   fate(Pid);
               {error, _} -> <<"failed_to_start">>
           end,
    [L || {{line, _}, L} <- ets:tab2list(Tab)] ++ [<<"fate ", Fate/binary>>].

fate(Pid) ->
    receive {'EXIT', Pid, Reason} -> reason(Reason)
    after 0 -> case is_process_alive(Pid) of true -> <<"running">>; false -> <<"gone">> end
    end.

reason(normal) -> <<"normal">>;
reason(shutdown) -> <<"shutdown">>;
reason({shutdown, _}) -> <<"shutdown">>;
reason(_) -> <<"error">>.

step(Tab, _Root, #{exit := Path, reason := R}) ->
    [{_, Pid}] = ets:lookup(Tab, {pid, Path}),
    Ref = monitor(process, Pid),
    gen_server:cast(Pid, {exit, exit_reason(R)}),
    receive {'DOWN', Ref, _, _, _} -> ok after 5000 -> error({no_exit, Path}) end,
    settle();
step(_Tab, _Root, #{wait := Ms}) ->
    timer:sleep(Ms);
step(_Tab, Root, #{shutdown := true}) ->
    exit(Root, shutdown),
    receive {'EXIT', Root, Reason} -> self() ! {'EXIT', Root, Reason} after 10000 -> error(no_shutdown) end;
step(Tab, _Root, #{call := Call, sup := SupPath} = S) ->
    [{_, Sup}] = ets:lookup(Tab, {pid, SupPath}),
    Arg = maps:get(id, S, <<>>),
    Result = case Call of
                 <<"terminate_child">> -> supervisor:terminate_child(Sup, Arg);
                 <<"restart_child">> -> supervisor:restart_child(Sup, Arg);
                 <<"delete_child">> -> supervisor:delete_child(Sup, Arg);
                 <<"start_child">> -> start_child(Tab, SupPath, Sup, S);
                 <<"count_children">> -> supervisor:count_children(Sup)
             end,
    diff_worker:trace(Tab, [<<"call">>, Call, SupPath, Arg, <<"->">>, result(Result)]),
    settle().

start_child(_Tab, _SupPath, Sup, #{name := Name}) -> supervisor:start_child(Sup, [Name]);
start_child(Tab, SupPath, Sup, #{child := C}) ->
    Id = maps:get(id, C),
    Path = <<SupPath/binary, "/", Id/binary>>,
    supervisor:start_child(Sup, #{id => Id, start => {diff_worker, start_link, [Tab, C#{path => Path}]},
                                  restart => binary_to_atom(maps:get(restart, C, <<"permanent">>), utf8)}).

result(ok) -> <<"ok">>;
result({ok, _Pid}) -> <<"ok">>;
result({error, {already_started, _}}) -> <<"error:already_started">>;
result({error, Why}) when is_atom(Why) -> <<"error:", (atom_to_binary(Why))/binary>>;
%% A start_child whose start function failed answers {error, {Reason, ChildRecord}}.
result({error, {Why, _Child}}) when is_atom(Why) -> <<"error:", (atom_to_binary(Why))/binary>>;
result({error, Other}) -> iolist_to_binary(io_lib:format("error:~0p", [Other]));
result(Counts) when is_list(Counts) ->
    iolist_to_binary(lists:join(<<",">>, [[atom_to_binary(K), <<"=">>, integer_to_binary(V)] || {K, V} <- Counts])).

exit_reason(<<"normal">>) -> normal;
exit_reason(<<"shutdown">>) -> shutdown;
exit_reason(<<"crash">>) -> crashed;
exit_reason(#{shutdown := Term}) -> {shutdown, Term}.

%% Let the tree act on what just happened (exits and reports cross processes).
settle() -> timer:sleep(50).

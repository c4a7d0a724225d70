%% A supervisor for the differential test, built from a scenario's tree: flags and children as
%% Maestro's test builds them (periods in ms, multiples of 1000, as OTP counts whole seconds).
-module(diff_sup).
-behaviour(supervisor).
-export([start_link/2, init/1]).

start_link(Tab, Spec) -> supervisor:start_link(?MODULE, {Tab, Spec}).

init({Tab, Spec}) ->
    Path = maps:get(path, Spec),
    Flags = maps:get(flags, Spec, #{}),
    ets:insert(Tab, {{pid, Path}, self()}),
    ets:insert(diff_sups, {self(), Tab, Path, maps:get(strategy, Flags, <<"one_for_one">>)}),
    SupFlags = #{strategy => atom(maps:get(strategy, Flags, <<"one_for_one">>)),
                 intensity => maps:get(intensity, Flags, 1),
                 period => maps:get(periodMs, Flags, 5000) div 1000,
                 auto_shutdown => atom(maps:get(autoShutdown, Flags, <<"never">>))},
    {ok, {SupFlags, [child(Tab, Path, C) || C <- maps:get(children, Spec, [])]}}.

child(Tab, SupPath, C) ->
    Id = maps:get(id, C),
    Path = <<SupPath/binary, "/", Id/binary>>,
    Type = atom(maps:get(type, C, <<"worker">>)),
    Start = case Type of
                supervisor -> {diff_sup, start_link, [Tab, (maps:get(sup, C))#{path => Path}]};
                worker -> {diff_worker, start_link, [Tab, C#{path => Path, sup_path => SupPath}]}
            end,
    Default = case Type of supervisor -> infinity; worker -> 5000 end,
    Shutdown = case maps:get(shutdown, C, Default) of B when is_binary(B) -> atom(B); T -> T end,
    #{id => Id, start => Start, restart => atom(maps:get(restart, C, <<"permanent">>)),
      shutdown => Shutdown, type => Type, significant => maps:get(significant, C, false)}.

atom(B) -> binary_to_atom(B, utf8).

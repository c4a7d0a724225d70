/** Runs votes of the MAKER vote statechart under a tiny parent that collects `vote.decided`. */
import { createActor, setup, type AnyActorRef } from 'xstate';
import {
  makerVoteMachine,
  type MakerVoteInput,
  type VoteResult,
} from '../../machines/makerVote.js';

export function voteHarness(input: MakerVoteInput<unknown>) {
  const results: VoteResult[] = [];
  let pending: { resolve: (r: VoteResult) => void; reject: (e: unknown) => void } | undefined;
  const parent = setup({ actors: { vote: makerVoteMachine } }).createMachine({
    invoke: { id: 'vote', src: 'vote', input },
    on: {
      'vote.decided': {
        actions: ({ event }) => {
          results.push(event as unknown as VoteResult);
          pending?.resolve(event as unknown as VoteResult);
        },
      },
    },
  });
  const actor = createActor(parent);
  actor.subscribe({ error: (e) => pending?.reject(e) });
  actor.start();
  /** Runs one vote to its result; rejects when the vote (and so its parent) fails. */
  const run = (step: number, prompt = 'p', state: unknown = null) =>
    new Promise<VoteResult>((resolve, reject) => {
      pending = { resolve, reject };
      (actor.getSnapshot().children.vote as AnyActorRef).send({
        type: 'vote.begin',
        step,
        prompt,
        state,
      });
    });
  return { actor, results, run };
}

/**
 * First-to-ahead-by-k bookkeeping for one vote: counts by normalized answer, and the leader's
 * margin over the best other answer. Shared by the vote statechart and the plain-loop baseline
 * of the benchmark, so both vote by the same rule.
 */
export class VoteTally<P = unknown> {
  private readonly counts = new Map<string, number>();
  private readonly firstParse = new Map<string, P>();
  leader: string | undefined;
  leaderVotes = 0;
  /** Votes of the best answer other than the leader. */
  runnerUpVotes = 0;

  add(answer: string, parse: P): void {
    const n = (this.counts.get(answer) ?? 0) + 1;
    this.counts.set(answer, n);
    if (n === 1) this.firstParse.set(answer, parse);
    if (answer === this.leader) this.leaderVotes = n;
    else if (n > this.leaderVotes) {
      this.runnerUpVotes = this.leaderVotes;
      this.leader = answer;
      this.leaderVotes = n;
    } else if (n > this.runnerUpVotes) this.runnerUpVotes = n;
  }

  /** Whether one more vote for `answer` would put it at least k ahead of every other answer. */
  wouldWin(answer: string, k: number): boolean {
    const n = (this.counts.get(answer) ?? 0) + 1;
    // The best other answer is the runner-up if `answer` leads, else the leader.
    const bestOther = answer === this.leader ? this.runnerUpVotes : this.leaderVotes;
    return n - bestOther >= k;
  }

  get margin(): number {
    return this.leaderVotes - this.runnerUpVotes;
  }

  /** The leader when it is at least k votes ahead of every other answer. */
  winner(k: number): string | undefined {
    return this.leader !== undefined && this.margin >= k ? this.leader : undefined;
  }

  parseOf(answer: string): P | undefined {
    return this.firstParse.get(answer);
  }

  get votes(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** Counts by answer, leader first. */
  tallies(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]));
  }
}

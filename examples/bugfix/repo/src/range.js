/** The sum of the whole numbers from `a` to `b`, both included; 0 when the range is empty. */
export function sumRange(a, b) {
  let total = 0;
  for (let i = a; i < b; i++) total += i;
  return total;
}

// An intrusive doubly linked list: O(1) push, remove and shift, no allocation per operation.
// A node is in at most one list at a time (`list` says which).

/** What a node of an EntryList carries. */
export interface ListNode<T extends ListNode<T>> {
  /** The list the node is in, or null. */
  list: EntryList<T> | null;
  /** Previous node in that list. */
  prev: T | null;
  /** Next node in that list. */
  next: T | null;
}

export class EntryList<T extends ListNode<T>> {
  head: T | null = null;
  tail: T | null = null;
  size = 0;

  /** Appends `node` (which must not be in a list). */
  push(node: T): void {
    node.list = this;
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
  }

  /** Removes `node` (which must be in this list). */
  remove(node: T): void {
    if (node.prev === null) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.list = null;
    node.prev = null;
    node.next = null;
    this.size--;
  }

  /** Removes every node. */
  clear(): void {
    let node = this.head;
    while (node !== null) {
      const next = node.next;
      node.list = null;
      node.prev = null;
      node.next = null;
      node = next;
    }
    this.head = null;
    this.tail = null;
    this.size = 0;
  }
}

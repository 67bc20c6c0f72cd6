#!/bin/sh
# keepalived notify script (lab): $1=GROUP|INSTANCE $2=name $3=MASTER|BACKUP|FAULT|STOP $4=priority
echo "$(date +%s.%N) $1 $2 $3 $4" >> /run/vrrp-notify.log
echo "$3" > /run/vrrp.state
